// Watches one file descriptor in the thread-default GMainContext and calls
// back with the ready conditions. One GSource per fd; the wanted
// conditions change in place, so toggling back-pressure costs no allocation.
#pragma once

#include <glib.h>

#include <functional>

namespace vncgate {

class FdWatch {
 public:
  using Callback = std::function<void(GIOCondition)>;
  FdWatch(int fd, Callback cb);
  ~FdWatch();
  FdWatch(const FdWatch &) = delete;
  FdWatch &operator=(const FdWatch &) = delete;

  void set_events(GIOCondition events);
  // Stops watching for good; safe from inside the callback, which stays
  // alive until the FdWatch is destroyed.
  void cancel();
  GIOCondition events() const { return events_; }

 private:
  struct Source;
  static gboolean dispatch(GSource *source, GSourceFunc, gpointer);
  Source *source_ = nullptr;
  gpointer tag_ = nullptr;
  GIOCondition events_ = GIOCondition(0);
  Callback cb_;
};

}  // namespace vncgate
