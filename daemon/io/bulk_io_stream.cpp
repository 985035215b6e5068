#include "io/bulk_io_stream.h"

#include <algorithm>
#include <cstring>

#include "io/request_head.h"

// Three small GObject types, C-style as GIO wants them; nothing outside
// this file sees them.
namespace {

constexpr gsize kReadAhead = 64 * 1024;

// The stream's own source, firing when `child` (taken) does: libsoup's
// callback is told about this stream, not the wrapped one.
GSource *source_over(gpointer stream, GSource *child, GCancellable *cancellable) {
  GSource *source = g_pollable_source_new_full(stream, child, cancellable);
  g_source_unref(child);
  return source;
}

constexpr char kSwitching[] = "HTTP/1.1 101 ";
constexpr gsize kSwitchingLen = sizeof kSwitching - 1;
constexpr char kRefusal[] =
    "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";

struct BulkOutputStream;

// The guarded mode's state (see bulk_io_stream.h).
struct HeadGuard {
  enum class State { Head, Serving, AfterHead, Refused } state = State::Head;
  gsize head_len = 0;
  bool upgrade = false;
  vncgate::BodyRule rule = vncgate::BodyRule::None;
  std::function<void(const std::string &)> refused;
};

// --- input: reads ahead, serves small reads from the buffer ---

struct BulkInputStream {
  GInputStream parent_instance;
  GInputStream *base;      // owned reference; pollable
  guint8 *buf;             // kReadAhead bytes
  gsize off, len;          // buf[off..len) not yet handed out
  HeadGuard *guard;        // owned; null when not guarded or once passed
  BulkOutputStream *peer;  // owned reference, when guarded: what was answered
};
struct BulkInputStreamClass {
  GInputStreamClass parent_class;
};

void bulk_input_stream_pollable_init(GPollableInputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE(BulkInputStream, bulk_input_stream, G_TYPE_INPUT_STREAM,
                        G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_INPUT_STREAM,
                                              bulk_input_stream_pollable_init))

BulkInputStream *bulk_in(gpointer p) {
  return G_TYPE_CHECK_INSTANCE_CAST(p, bulk_input_stream_get_type(), BulkInputStream);
}

gssize take_buffered(BulkInputStream *self, void *dst, gsize count) {
  const gsize n = std::min(count, self->len - self->off);
  std::memcpy(dst, self->buf + self->off, n);
  self->off += n;
  return static_cast<gssize>(n);
}

enum class Answer { None, Switching, Other };
Answer answer(BulkOutputStream *out);
void write_refusal(BulkOutputStream *out);

// The guarded input before the WebSocket: collect the head, check it, hand
// it on alone, then end (or pass on, see bulk_io_stream.h). Returns what a
// read returns; `passed` is set when the bytes may flow from now on.
gssize guarded_read(BulkInputStream *self, void *dst, gsize count, bool &passed, GError **error) {
  HeadGuard &g = *self->guard;
  if (g.state == HeadGuard::State::Head) {
    const gssize got = g_pollable_input_stream_read_nonblocking(
        G_POLLABLE_INPUT_STREAM(self->base), self->buf + self->len, kReadAhead - self->len, nullptr,
        error);
    if (got <= 0) return got;  // would block, EOF before a whole head, or an error
    self->len += static_cast<gsize>(got);
    const auto v = vncgate::check_request_head(vncgate::ByteSpan(self->buf, self->len), g.rule);
    if (v.status == vncgate::RequestHeadVerdict::Status::NeedMore) {
      g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "the head is not whole yet");
      return -1;
    }
    if (v.status == vncgate::RequestHeadVerdict::Status::Refused) {
      g.state = HeadGuard::State::Refused;
      write_refusal(self->peer);
      if (g.refused) g.refused(v.reason);
      return 0;
    }
    g.state = HeadGuard::State::Serving;
    g.head_len = v.length;
    g.upgrade = v.upgrade;
  }
  if (g.state == HeadGuard::State::Serving) {
    const gsize n = std::min(count, g.head_len - self->off);
    std::memcpy(dst, self->buf + self->off, n);
    self->off += n;
    if (self->off == g.head_len) g.state = HeadGuard::State::AfterHead;
    return static_cast<gssize>(n);
  }
  // libsoup reads on after a whole head only once it has answered it: on
  // the WebSocket after a 101, or for a next request. Before an answer it
  // reads only when it does not see the head as whole: the end, too.
  // A body (the control API) follows its head; libsoup answers with
  // "Connection: close" there, so no second head is read.
  if (g.state == HeadGuard::State::AfterHead && g.rule == vncgate::BodyRule::WellFormed) {
    passed = true;
    return 0;
  }
  if (g.state == HeadGuard::State::AfterHead && g.upgrade &&
      answer(self->peer) == Answer::Switching) {
    passed = true;  // the WebSocket's own bytes (some may be buffered already)
    return 0;
  }
  return 0;  // one request per connection
}

// What a guarded input is ready to do once it has a head: hand it on or end.
GSource *guard_source(const BulkInputStream *self) {
  if (self->guard->state == HeadGuard::State::Head)
    return g_pollable_input_stream_create_source(G_POLLABLE_INPUT_STREAM(self->base), nullptr);
  return g_timeout_source_new(0);
}

gssize bulk_in_read_nonblocking(GPollableInputStream *stream, void *dst, gsize count,
                                GError **error) {
  BulkInputStream *self = bulk_in(stream);
  if (self->guard) {
    bool passed = false;
    const gssize n = guarded_read(self, dst, count, passed, error);
    if (!passed) return n;
    delete self->guard;
    self->guard = nullptr;
  }
  if (self->off < self->len) return take_buffered(self, dst, count);
  auto *base = G_POLLABLE_INPUT_STREAM(self->base);
  if (count >= kReadAhead)
    return g_pollable_input_stream_read_nonblocking(base, dst, count, nullptr, error);
  const gssize got =
      g_pollable_input_stream_read_nonblocking(base, self->buf, kReadAhead, nullptr, error);
  if (got <= 0) return got;  // would block, EOF or an error, as the caller expects
  self->off = 0;
  self->len = static_cast<gsize>(got);
  return take_buffered(self, dst, count);
}

gssize bulk_in_read(GInputStream *stream, void *dst, gsize count, GCancellable *cancellable,
                    GError **error) {
  BulkInputStream *self = bulk_in(stream);
  // libsoup reads without blocking; a guarded stream answers the same way.
  if (self->guard)
    return bulk_in_read_nonblocking(G_POLLABLE_INPUT_STREAM(stream), dst, count, error);
  if (self->off < self->len) return take_buffered(self, dst, count);
  return g_input_stream_read(self->base, dst, count, cancellable, error);
}

gboolean bulk_in_can_poll(GPollableInputStream *) {
  return TRUE;
}

gboolean bulk_in_is_readable(GPollableInputStream *stream) {
  BulkInputStream *self = bulk_in(stream);
  if (self->guard) {
    const HeadGuard &g = *self->guard;
    if (g.state == HeadGuard::State::Head)
      return g_pollable_input_stream_is_readable(G_POLLABLE_INPUT_STREAM(self->base));
    return TRUE;
  }
  return self->off < self->len ||
         g_pollable_input_stream_is_readable(G_POLLABLE_INPUT_STREAM(self->base));
}

GSource *bulk_in_create_source(GPollableInputStream *stream, GCancellable *cancellable) {
  BulkInputStream *self = bulk_in(stream);
  if (self->guard) return source_over(stream, guard_source(self), cancellable);
  // Buffered bytes are readable now: a source that fires at once.
  GSource *child = self->off < self->len ? g_timeout_source_new(0)
                                         : g_pollable_input_stream_create_source(
                                               G_POLLABLE_INPUT_STREAM(self->base), nullptr);
  return source_over(stream, child, cancellable);
}

void bulk_input_stream_pollable_init(GPollableInputStreamInterface *iface) {
  iface->can_poll = bulk_in_can_poll;
  iface->is_readable = bulk_in_is_readable;
  iface->create_source = bulk_in_create_source;
  iface->read_nonblocking = bulk_in_read_nonblocking;
}

void bulk_input_stream_finalize(GObject *object) {
  BulkInputStream *self = bulk_in(object);
  g_clear_object(&self->base);
  g_clear_object(&self->peer);
  delete self->guard;
  g_free(self->buf);
  G_OBJECT_CLASS(bulk_input_stream_parent_class)->finalize(object);
}

void bulk_input_stream_init(BulkInputStream *self) {
  self->buf = static_cast<guint8 *>(g_malloc(kReadAhead));
}

void bulk_input_stream_class_init(BulkInputStreamClass *klass) {
  G_OBJECT_CLASS(klass)->finalize = bulk_input_stream_finalize;
  // No close_fn: the wrapped connection is closed by the GIOStream below.
  G_INPUT_STREAM_CLASS(klass)->read_fn = bulk_in_read;
}

// --- output: a non-blocking write goes on until the socket is full ---

struct BulkOutputStream {
  GOutputStream parent_instance;
  GOutputStream *base;        // owned reference; pollable
  char first[kSwitchingLen];  // the first bytes written (the answer's status line)
  gsize first_len;
  gboolean blocked;  // the last write left bytes behind
  vncgate::BulkBlockedFn observer;
  void *observer_data;
};
struct BulkOutputStreamClass {
  GOutputStreamClass parent_class;
};

void bulk_output_stream_pollable_init(GPollableOutputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE(BulkOutputStream, bulk_output_stream, G_TYPE_OUTPUT_STREAM,
                        G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_OUTPUT_STREAM,
                                              bulk_output_stream_pollable_init))

BulkOutputStream *bulk_out(gpointer p) {
  return G_TYPE_CHECK_INSTANCE_CAST(p, bulk_output_stream_get_type(), BulkOutputStream);
}

void set_blocked(BulkOutputStream *self, bool blocked) {
  if (bool(self->blocked) == blocked) return;
  self->blocked = blocked;
  if (self->observer) self->observer(blocked, self->observer_data);
}

gssize write_until_full(BulkOutputStream *self, const void *src, gsize count, GError **error);

// Keeps the first bytes written: a guarded input needs the answer's status.
void note_written(BulkOutputStream *self, const void *src, gssize n) {
  if (n <= 0 || self->first_len == kSwitchingLen) return;
  const gsize take = std::min(static_cast<gsize>(n), kSwitchingLen - self->first_len);
  std::memcpy(self->first + self->first_len, src, take);
  self->first_len += take;
}

gssize bulk_out_write_nonblocking(GPollableOutputStream *stream, const void *src, gsize count,
                                  GError **error) {
  BulkOutputStream *self = bulk_out(stream);
  GError *err = nullptr;
  const gssize n = write_until_full(self, src, count, &err);
  note_written(self, src, n);
  if (n >= 0)
    set_blocked(self, static_cast<gsize>(n) < count);
  else if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    set_blocked(self, true);
  if (err) g_propagate_error(error, err);
  return n;
}

gssize write_until_full(BulkOutputStream *self, const void *src, gsize count, GError **error) {
  auto *base = G_POLLABLE_OUTPUT_STREAM(self->base);
  const auto *bytes = static_cast<const guint8 *>(src);
  gsize done = 0;
  while (done < count) {
    GError *err = nullptr;
    const gssize n =
        g_pollable_output_stream_write_nonblocking(base, bytes + done, count - done, nullptr, &err);
    if (n < 0) {
      // What went out counts; a real error comes back on the next write.
      if (done > 0) {
        g_error_free(err);
        break;
      }
      g_propagate_error(error, err);
      return -1;
    }
    if (n == 0) break;
    done += static_cast<gsize>(n);
  }
  return static_cast<gssize>(done);
}

gssize bulk_out_write(GOutputStream *stream, const void *src, gsize count,
                      GCancellable *cancellable, GError **error) {
  BulkOutputStream *self = bulk_out(stream);
  const gssize n = g_output_stream_write(self->base, src, count, cancellable, error);
  note_written(self, src, n);
  return n;
}

Answer answer(BulkOutputStream *out) {
  if (out->first_len < kSwitchingLen) return out->first_len ? Answer::Other : Answer::None;
  return std::memcmp(out->first, kSwitching, kSwitchingLen) == 0 ? Answer::Switching
                                                                 : Answer::Other;
}

// Best effort: a few bytes into an empty socket buffer.
void write_refusal(BulkOutputStream *out) {
  g_pollable_output_stream_write_nonblocking(G_POLLABLE_OUTPUT_STREAM(out->base), kRefusal,
                                             sizeof kRefusal - 1, nullptr, nullptr);
}

gboolean bulk_out_can_poll(GPollableOutputStream *) {
  return TRUE;
}

gboolean bulk_out_is_writable(GPollableOutputStream *stream) {
  return g_pollable_output_stream_is_writable(G_POLLABLE_OUTPUT_STREAM(bulk_out(stream)->base));
}

GSource *bulk_out_create_source(GPollableOutputStream *stream, GCancellable *cancellable) {
  return source_over(stream,
                     g_pollable_output_stream_create_source(
                         G_POLLABLE_OUTPUT_STREAM(bulk_out(stream)->base), nullptr),
                     cancellable);
}

void bulk_output_stream_pollable_init(GPollableOutputStreamInterface *iface) {
  iface->can_poll = bulk_out_can_poll;
  iface->is_writable = bulk_out_is_writable;
  iface->create_source = bulk_out_create_source;
  iface->write_nonblocking = bulk_out_write_nonblocking;
}

void bulk_output_stream_finalize(GObject *object) {
  g_clear_object(&bulk_out(object)->base);
  G_OBJECT_CLASS(bulk_output_stream_parent_class)->finalize(object);
}

void bulk_output_stream_init(BulkOutputStream *) {}

void bulk_output_stream_class_init(BulkOutputStreamClass *klass) {
  G_OBJECT_CLASS(klass)->finalize = bulk_output_stream_finalize;
  G_OUTPUT_STREAM_CLASS(klass)->write_fn = bulk_out_write;
}

// --- the pair, closing the wrapped connection ---

struct BulkIOStream {
  GIOStream parent_instance;
  GIOStream *base;  // owned references
  GInputStream *in;
  GOutputStream *out;
};
struct BulkIOStreamClass {
  GIOStreamClass parent_class;
};

G_DEFINE_TYPE(BulkIOStream, bulk_io_stream, G_TYPE_IO_STREAM)

BulkIOStream *bulk_io(gpointer p) {
  return G_TYPE_CHECK_INSTANCE_CAST(p, bulk_io_stream_get_type(), BulkIOStream);
}

GInputStream *bulk_io_get_input(GIOStream *stream) {
  return bulk_io(stream)->in;
}
GOutputStream *bulk_io_get_output(GIOStream *stream) {
  return bulk_io(stream)->out;
}

gboolean bulk_io_close(GIOStream *stream, GCancellable *cancellable, GError **error) {
  return g_io_stream_close(bulk_io(stream)->base, cancellable, error);
}

// GIOStream's default would run close_fn in a worker thread; libsoup's own
// stream (and TLS inside it) closes asynchronously on this main context.
void bulk_io_close_async(GIOStream *stream, int io_priority, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data) {
  GTask *task = g_task_new(stream, cancellable, callback, user_data);
  g_io_stream_close_async(
      bulk_io(stream)->base, io_priority, cancellable,
      [](GObject *base, GAsyncResult *res, gpointer data) {
        GTask *t = G_TASK(data);
        GError *err = nullptr;
        if (g_io_stream_close_finish(G_IO_STREAM(base), res, &err))
          g_task_return_boolean(t, TRUE);
        else
          g_task_return_error(t, err);
        g_object_unref(t);
      },
      task);
}

gboolean bulk_io_close_finish(GIOStream *, GAsyncResult *result, GError **error) {
  return g_task_propagate_boolean(G_TASK(result), error);
}

void bulk_io_stream_finalize(GObject *object) {
  BulkIOStream *self = bulk_io(object);
  g_clear_object(&self->in);
  g_clear_object(&self->out);
  g_clear_object(&self->base);
  G_OBJECT_CLASS(bulk_io_stream_parent_class)->finalize(object);
}

void bulk_io_stream_init(BulkIOStream *) {}

void bulk_io_stream_class_init(BulkIOStreamClass *klass) {
  // GIOStream's dispose closes an unclosed stream (through bulk_io_close,
  // while `base` is still held); the references go in finalize.
  G_OBJECT_CLASS(klass)->finalize = bulk_io_stream_finalize;
  GIOStreamClass *io = G_IO_STREAM_CLASS(klass);
  io->get_input_stream = bulk_io_get_input;
  io->get_output_stream = bulk_io_get_output;
  io->close_fn = bulk_io_close;
  io->close_async = bulk_io_close_async;
  io->close_finish = bulk_io_close_finish;
}

}  // namespace

namespace vncgate {

bool bulk_io_stream_set_blocked_observer(GIOStream *stream, BulkBlockedFn fn, void *data) {
  if (!G_TYPE_CHECK_INSTANCE_TYPE(stream, bulk_io_stream_get_type())) return false;
  BulkOutputStream *out = bulk_out(bulk_io(stream)->out);
  out->observer = fn;
  out->observer_data = data;
  return true;
}

GIOStream *bulk_io_stream_new_guarded(GIOStream *base, BodyRule rule,
                                      std::function<void(const std::string &why)> refused) {
  GIOStream *stream = bulk_io_stream_new(base);
  BulkIOStream *io = bulk_io(stream);
  BulkInputStream *in = bulk_in(io->in);
  in->guard = new HeadGuard{};
  in->guard->rule = rule;
  in->guard->refused = std::move(refused);
  in->peer = bulk_out(g_object_ref(io->out));
  return stream;
}

GIOStream *bulk_io_stream_new(GIOStream *base) {
  BulkIOStream *self = bulk_io(g_object_new(bulk_io_stream_get_type(), nullptr));
  self->base = G_IO_STREAM(g_object_ref(base));
  BulkInputStream *in = bulk_in(g_object_new(bulk_input_stream_get_type(), nullptr));
  in->base = G_INPUT_STREAM(g_object_ref(g_io_stream_get_input_stream(base)));
  self->in = G_INPUT_STREAM(in);
  BulkOutputStream *out = bulk_out(g_object_new(bulk_output_stream_get_type(), nullptr));
  out->base = G_OUTPUT_STREAM(g_object_ref(g_io_stream_get_output_stream(base)));
  self->out = G_OUTPUT_STREAM(out);
  return G_IO_STREAM(self);
}

}  // namespace vncgate
