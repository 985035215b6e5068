#include "backends/mkvterm.h"

#include <gio/gunixinputstream.h>
#include <glib-unix.h>

#include <algorithm>

#include "logging.h"

namespace vncgate {
namespace {

std::string first_line(const std::string &s) {
  std::string l = s.substr(0, s.find('\n'));
  while (!l.empty() && (l.back() == '\r' || l.back() == ' ' || l.back() == '\t')) l.pop_back();
  size_t b = l.find_first_not_of(" \t");
  return b == std::string::npos ? std::string() : l.substr(b);
}

bool parse_port(const std::string &line, uint16_t &port) {
  if (line.empty() || line.size() > 5) return false;
  unsigned v = 0;
  for (char c : line) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v < 1 || v > 65535) return false;
  port = static_cast<uint16_t>(v);
  return true;
}

}  // namespace

std::unique_ptr<ProcessRun> ProcessRun::start(const std::vector<std::string> &argv,
                                              unsigned timeout_s, Done done) {
  auto run = std::make_unique<ProcessRun>(Token{});
  run->done_ = std::move(done);
  std::vector<const char *> args;
  for (const auto &a : argv) args.push_back(a.c_str());
  args.push_back(nullptr);
  g_autoptr(GError) err = nullptr;
  run->proc_ = GObjectPtr<GSubprocess>::adopt(g_subprocess_newv(
      args.data(),
      GSubprocessFlags(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE |
                       G_SUBPROCESS_FLAGS_STDIN_INHERIT),
      &err));
  if (!run->proc_) {
    // Reported from the main loop, never re-entrantly from start(); dropping
    // the handle first cancels the report, as it cancels a wait.
    ProcessRun *self = run.get();
    self->timer_.idle(
        [self, why = std::string(err->message)] {
          ProcessResult r;
          r.spawn_error = why;
          Done cb = std::move(self->done_);
          self->done_ = nullptr;
          cb(std::move(r));  // may destroy `self`
        },
        G_PRIORITY_DEFAULT);
    return run;
  }
  run->watch_pipe(run->out_, g_subprocess_get_stdout_pipe(run->proc_.get()));
  run->watch_pipe(run->err_, g_subprocess_get_stderr_pipe(run->proc_.get()));
  run->cancel_ = GObjectPtr<GCancellable>::adopt(g_cancellable_new());
  // `run` as the callback's data: the destructor cancels first.
  g_subprocess_wait_async(run->proc_.get(), run->cancel_.get(), &ProcessRun::on_exit, run.get());
  ProcessRun *self = run.get();
  run->timer_.once(timeout_s * 1000u, [self] {
    self->timed_out_ = true;
    g_subprocess_force_exit(self->proc_.get());
  });
  return run;
}

void ProcessRun::watch_pipe(Pipe &p, GInputStream *stream) {
  if (!stream || !G_IS_POLLABLE_INPUT_STREAM(stream) || !G_IS_UNIX_INPUT_STREAM(stream)) {
    p.eof = true;
    return;
  }
  p.stream = stream;
  int fd = g_unix_input_stream_get_fd(G_UNIX_INPUT_STREAM(stream));
  Pipe *pp = &p;
  p.watch = std::make_unique<FdWatch>(fd, [pp](GIOCondition) {
    // A generous budget per wake-up keeps one chatty child from starving
    // the main loop; the watch fires again while data remains.
    if (!read_available(*pp, 256 * 1024)) pp->watch->cancel();
  });
  p.watch->set_events(GIOCondition(G_IO_IN | G_IO_HUP | G_IO_ERR));
}

bool ProcessRun::read_available(Pipe &p, size_t budget) {
  if (p.eof || !p.stream) return false;
  char buf[16384];
  size_t taken = 0;
  while (taken < budget) {
    g_autoptr(GError) err = nullptr;
    gssize n = g_pollable_input_stream_read_nonblocking(G_POLLABLE_INPUT_STREAM(p.stream), buf,
                                                        sizeof buf, nullptr, &err);
    if (n < 0) {
      if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) return true;
      p.eof = true;
      return false;
    }
    if (n == 0) {
      p.eof = true;
      return false;
    }
    taken += static_cast<size_t>(n);
    size_t room = kMaxProcessOutput - std::min(kMaxProcessOutput, p.data.size());
    p.data.append(buf, std::min(room, static_cast<size_t>(n)));
    if (static_cast<size_t>(n) > room) p.truncated = true;
  }
  return true;
}

ProcessRun::~ProcessRun() {
  out_.watch.reset();
  err_.watch.reset();
  if (cancel_) g_cancellable_cancel(cancel_.get());
  // The owner gave up: do not leave the child running.
  if (proc_ && !finished_) g_subprocess_force_exit(proc_.get());
}

void ProcessRun::on_exit(GObject *src, GAsyncResult *res, gpointer data) {
  g_autoptr(GError) err = nullptr;
  if (!g_subprocess_wait_finish(G_SUBPROCESS(src), res, &err) &&
      g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;  // owner is gone: `data` must not be touched
  static_cast<ProcessRun *>(data)->finish();
}

void ProcessRun::finish() {
  finished_ = true;
  timer_.cancel();
  ProcessResult r;
  r.started = true;
  r.timed_out = timed_out_;
  if (g_subprocess_get_if_exited(proc_.get()))
    r.exit_status = g_subprocess_get_exit_status(proc_.get());
  // What the child wrote before it exited is in the pipe already; a
  // grandchild still writing gets a bounded read, not a wait.
  for (Pipe *p : {&out_, &err_}) {
    read_available(*p, 1024 * 1024);
    p->watch.reset();
  }
  r.out = std::move(out_.data);
  r.err = std::move(err_.data);
  r.out_truncated = out_.truncated;
  r.err_truncated = err_.truncated;
  Done cb = std::move(done_);
  done_ = nullptr;
  cb(std::move(r));  // may destroy this
}

MkvtermVerdict interpret_mkvterm(const ProcessResult &r, uint16_t &port, std::string &error) {
  if (!r.started || r.timed_out || (r.exit_status != 0 && r.exit_status != 3)) {
    error = describe_process_failure(r);
    return MkvtermVerdict::Failed;
  }
  bool has_port = parse_port(first_line(r.out), port);
  if (r.exit_status == 0) {
    if (has_port) return MkvtermVerdict::Opened;
    error = "(exit 0) but printed no port on its first line: '" + log_safe(first_line(r.out)) +
            "'" + stderr_suffix(r);
    return MkvtermVerdict::Failed;
  }
  // Exit 3: a vterm is already open; with a port it is ours to use (VNC).
  if (has_port) return MkvtermVerdict::Opened;
  error = "a vterm is already open out of band (exit 3, no VNC port)" + stderr_suffix(r);
  return MkvtermVerdict::BusyOutOfBand;
}

std::string describe_process_failure(const ProcessResult &r) {
  if (!r.started) return "could not start: " + r.spawn_error;
  std::string what;
  if (r.timed_out) {
    what = "timed out";
  } else if (r.exit_status < 0) {
    what = "killed by a signal";
  } else {
    what = "exit " + std::to_string(r.exit_status);
  }
  return "(" + what + ")" + stderr_suffix(r);
}

std::string stderr_suffix(const ProcessResult &r) {
  // One line for the log: the tool's lines joined with " | ", sanitized.
  std::string joined;
  size_t pos = 0;
  while (pos < r.err.size()) {
    size_t nl = r.err.find('\n', pos);
    std::string line = r.err.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? r.err.size() : nl + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty()) continue;
    if (!joined.empty()) joined += " | ";
    joined += line;
  }
  if (joined.empty()) return "";
  return ": " + log_safe(joined, 1000) + (r.err_truncated ? " (stderr truncated)" : "");
}

}  // namespace vncgate
