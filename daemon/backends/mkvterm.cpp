#include "backends/mkvterm.h"

#include <glib-unix.h>

#include "logging.h"

namespace vncgate {
namespace {

constexpr gssize kMaxOutput = 64 * 1024;

// Whatever the child wrote before it exited is in the pipe already.
std::string drain(GInputStream *in) {
  std::string out;
  if (!in || !G_IS_POLLABLE_INPUT_STREAM(in)) return out;
  char buf[4096];
  while (static_cast<gssize>(out.size()) < kMaxOutput) {
    GError *err = nullptr;
    gssize n = g_pollable_input_stream_read_nonblocking(G_POLLABLE_INPUT_STREAM(in), buf,
                                                        sizeof buf, nullptr, &err);
    if (n <= 0) {
      if (err) g_error_free(err);
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

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
  std::unique_ptr<ProcessRun> run(new ProcessRun());
  run->done_ = std::move(done);
  std::vector<const char *> args;
  for (const auto &a : argv) args.push_back(a.c_str());
  args.push_back(nullptr);
  GError *err = nullptr;
  run->proc_ = g_subprocess_newv(args.data(),
                                 GSubprocessFlags(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                  G_SUBPROCESS_FLAGS_STDERR_PIPE |
                                                  G_SUBPROCESS_FLAGS_STDIN_INHERIT),
                                 &err);
  if (!run->proc_) {
    ProcessResult r;
    r.spawn_error = err->message;
    g_error_free(err);
    // Report from the main loop, never re-entrantly from start().
    auto *pending = new std::pair<Done, ProcessResult>(std::move(run->done_), std::move(r));
    // The idle source owns `pending`; dropping `run` does not cancel it.
    g_idle_add_full(
        G_PRIORITY_DEFAULT,
        [](gpointer d) -> gboolean {
          auto *p = static_cast<std::pair<Done, ProcessResult> *>(d);
          auto cb = std::move(p->first);
          auto res = std::move(p->second);
          delete p;
          cb(std::move(res));
          return G_SOURCE_REMOVE;
        },
        pending, nullptr);
    return run;
  }
  run->cancel_ = g_cancellable_new();
  g_subprocess_wait_async(run->proc_, run->cancel_, &ProcessRun::on_exit, run.get());
  run->timer_ = g_timeout_add(timeout_s * 1000u, &ProcessRun::on_timeout, run.get());
  return run;
}

ProcessRun::~ProcessRun() {
  if (timer_) g_source_remove(timer_);
  if (cancel_) {
    g_cancellable_cancel(cancel_);
    g_object_unref(cancel_);
  }
  if (proc_) {
    if (!finished_) g_subprocess_force_exit(proc_);  // owner gave up: do not leave it running
    g_object_unref(proc_);
  }
}

gboolean ProcessRun::on_timeout(gpointer data) {
  auto *self = static_cast<ProcessRun *>(data);
  self->timer_ = 0;
  self->timed_out_ = true;
  g_subprocess_force_exit(self->proc_);
  return G_SOURCE_REMOVE;
}

void ProcessRun::on_exit(GObject *src, GAsyncResult *res, gpointer data) {
  GError *err = nullptr;
  if (!g_subprocess_wait_finish(G_SUBPROCESS(src), res, &err)) {
    bool cancelled = g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_error_free(err);
    if (cancelled) return;  // owner is gone: `data` must not be touched
  }
  static_cast<ProcessRun *>(data)->finish();
}

void ProcessRun::finish() {
  finished_ = true;
  if (timer_) {
    g_source_remove(timer_);
    timer_ = 0;
  }
  ProcessResult r;
  r.started = true;
  r.timed_out = timed_out_;
  if (g_subprocess_get_if_exited(proc_)) r.exit_status = g_subprocess_get_exit_status(proc_);
  r.out = drain(g_subprocess_get_stdout_pipe(proc_));
  r.err = drain(g_subprocess_get_stderr_pipe(proc_));
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
    error = "exited 0 but printed no port on its first line: '" + log_safe(first_line(r.out)) + "'";
    return MkvtermVerdict::Failed;
  }
  // Exit 3: a vterm is already open; with a port it is ours to use (VNC).
  if (has_port) return MkvtermVerdict::Opened;
  error = "a vterm is already open out of band (exit 3, no VNC port)";
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
  std::string err = r.err;
  while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.pop_back();
  return "(" + what + ")" + (err.empty() ? "" : ": " + log_safe(err, 1000));
}

}  // namespace vncgate
