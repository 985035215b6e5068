// An owned reference to a GObject, for class members (g_autoptr only works
// for locals). Moving transfers the reference; destruction drops it.
//
//   GObjectPtr<GSocketConnection> conn = GObjectPtr<GSocketConnection>::ref(borrowed);
//   GObjectPtr<GCancellable> cancel = GObjectPtr<GCancellable>::adopt(g_cancellable_new());
#pragma once

#include <glib-object.h>

#include <utility>

namespace vncgate {

template <typename T>
class GObjectPtr {
 public:
  GObjectPtr() = default;
  // Takes over a reference the caller owns, like adopt().
  explicit GObjectPtr(T *owned) : obj_(owned) {}
  // Takes over a reference the caller owns (a *_new() or transfer-full result).
  static GObjectPtr adopt(T *owned) {
    GObjectPtr p;
    p.obj_ = owned;
    return p;
  }
  // Takes a new reference on a borrowed object.
  static GObjectPtr ref(T *borrowed) {
    return adopt(borrowed ? static_cast<T *>(g_object_ref(borrowed)) : nullptr);
  }
  ~GObjectPtr() { reset(); }
  GObjectPtr(GObjectPtr &&o) noexcept : obj_(std::exchange(o.obj_, nullptr)) {}
  GObjectPtr &operator=(GObjectPtr &&o) noexcept {
    if (this != &o) {
      reset();
      obj_ = std::exchange(o.obj_, nullptr);
    }
    return *this;
  }
  GObjectPtr(const GObjectPtr &) = delete;
  GObjectPtr &operator=(const GObjectPtr &) = delete;

  T *get() const { return obj_; }
  explicit operator bool() const { return obj_ != nullptr; }
  // Drops the held reference and takes over `owned` (may be null).
  void reset(T *owned = nullptr) {
    if (T *old = std::exchange(obj_, owned)) g_object_unref(old);
  }

 private:
  T *obj_ = nullptr;
};

}  // namespace vncgate
