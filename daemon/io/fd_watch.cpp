#include "io/fd_watch.h"

namespace vncgate {

struct FdWatch::Source {
  GSource base;
  FdWatch *owner;
};

gboolean FdWatch::dispatch(GSource *source, GSourceFunc, gpointer) {
  auto *s = reinterpret_cast<Source *>(source);
  FdWatch *self = s->owner;
  GIOCondition ready = g_source_query_unix_fd(source, self->tag_);
  if (ready) self->cb_(ready);  // may destroy `self`; do not touch it after
  return G_SOURCE_CONTINUE;
}

FdWatch::FdWatch(int fd, Callback cb) : cb_(std::move(cb)) {
  static GSourceFuncs funcs = {nullptr, nullptr, &FdWatch::dispatch, nullptr, nullptr, nullptr};
  source_ = reinterpret_cast<Source *>(g_source_new(&funcs, sizeof(Source)));
  source_->owner = this;
  tag_ = g_source_add_unix_fd(&source_->base, fd, GIOCondition(0));
  g_source_attach(&source_->base, g_main_context_get_thread_default());
}

FdWatch::~FdWatch() {
  g_source_destroy(&source_->base);
  g_source_unref(&source_->base);
}

void FdWatch::cancel() {
  if (!g_source_is_destroyed(&source_->base)) g_source_destroy(&source_->base);
}

void FdWatch::set_events(GIOCondition events) {
  if (events == events_ || g_source_is_destroyed(&source_->base)) return;
  events_ = events;
  g_source_modify_unix_fd(&source_->base, tag_, events);
}

}  // namespace vncgate
