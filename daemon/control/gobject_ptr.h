// An owning pointer for a GObject held as a class member (g_autoptr is for
// locals): unreferences it when destroyed.
#pragma once

#include <glib-object.h>

#include <memory>

namespace vncgate {

struct GObjectUnref {
  void operator()(gpointer object) const { g_object_unref(object); }
};
template <typename T>
using GObjectPtr = std::unique_ptr<T, GObjectUnref>;

}  // namespace vncgate
