#include "console_registry.h"

#include "control/metrics.h"
#include "logging.h"

namespace vncgate {
ConsoleRegistry::~ConsoleRegistry() = default;

ConsoleRegistry::Lease::~Lease() {
  reg_->release(name_, waiter_);
}

void ConsoleRegistry::configure(const Config &config) {
  mkvterm_ = MkvtermBackend{config.mkvterm, config.rmvterm, config.mkvterm_timeout};
  idle_close_ = config.idle_close;
  for (auto &[name, c] : consoles_) {
    auto it = config.consoles.find(name);
    if (it == config.consoles.end()) {
      c->removed = true;
    } else {
      c->removed = false;
      // A running vterm keeps its identity until it is closed; a static
      // backend has nothing to close, so new sessions use the new address.
      if (c->state == State::Closed || (!c->cfg.lpar_id && !it->second.lpar_id)) {
        c->cfg = it->second;
        if (c->state == State::Open && c->cfg.backend) c->backend = *c->cfg.backend;
      }
      c->cfg.allowed_users = it->second.allowed_users;
      c->cfg.force = it->second.force;
    }
  }
  for (auto &[name, cfg] : config.consoles) {
    if (!consoles_.count(name)) {
      auto c = std::make_unique<Console>();
      c->cfg = cfg;
      consoles_.emplace(name, std::move(c));
    }
  }
  std::vector<std::string> names;
  for (auto &[name, c] : consoles_) names.push_back(name);
  for (const auto &n : names) maybe_forget(n);
}

std::unique_ptr<ConsoleRegistry::Lease> ConsoleRegistry::acquire(const std::string &name,
                                                                 Ready ready) {
  auto it = consoles_.find(name);
  if (it == consoles_.end() || it->second->removed) {
    // Removed by a reload after the session checked: report, never crash.
    auto c = std::make_unique<Console>();
    c->cfg.name = name;
    c->removed = true;
    it = consoles_.emplace(name, std::move(c)).first;
    Console &gone = *it->second;
    uint64_t w = next_waiter_++;
    gone.leases++;
    gone.waiters.emplace(w, std::move(ready));
    // Every waiter of a removed console is told so (schedule_notify).
    schedule_notify(gone);
    return std::make_unique<Lease>(Token{}, this, name, w);
  }
  Console &c = *it->second;
  uint64_t w = next_waiter_++;
  c.leases++;
  c.waiters.emplace(w, std::move(ready));
  if (c.idle_timer.active()) {
    c.idle_timer.cancel();
    c.idle_deadline = 0;
    log_info("console " + name + ": new session, idle close cancelled");
  }
  switch (c.state) {
    case State::Open:
      schedule_notify(c);
      break;
    case State::Closed:
      start_open(c);
      break;
    case State::Opening:
    case State::Closing:
      break;  // waiters run when the running command ends
  }
  return std::make_unique<Lease>(Token{}, this, name, w);
}

void ConsoleRegistry::release(const std::string &name, uint64_t waiter) {
  auto it = consoles_.find(name);
  if (it == consoles_.end()) return;
  Console &c = *it->second;
  c.waiters.erase(waiter);
  g_assert(c.leases > 0);
  if (--c.leases == 0) {
    if (c.state == State::Open && c.cfg.lpar_id) arm_idle(c);
    maybe_forget(name);
  }
}

size_t ConsoleRegistry::sessions(const std::string &name) const {
  auto it = consoles_.find(name);
  return it == consoles_.end() ? 0 : it->second->leases;
}

void ConsoleRegistry::start_open(Console &c) {
  if (stopping_) {
    schedule_notify(c);
    return;
  }
  if (!c.cfg.lpar_id) {  // static backend: always "open"
    c.backend = *c.cfg.backend;
    c.state = State::Open;
    schedule_notify(c);
    return;
  }
  c.state = State::Opening;
  c.adopted = false;
  metrics().mkvterm_calls++;
  std::string name = c.cfg.name;
  log_info("console " + name + ": opening with mkvterm --id " + std::to_string(*c.cfg.lpar_id));
  c.op = mkvterm_.open(*c.cfg.lpar_id,
                       [this, name](ProcessResult r) { on_mkvterm(name, std::move(r)); });
}

void ConsoleRegistry::on_mkvterm(const std::string &name, ProcessResult r) {
  auto it = consoles_.find(name);
  if (it == consoles_.end()) return;
  Console &c = *it->second;
  auto finished_op = std::move(c.op);  // released when this returns
  uint16_t port = 0;
  std::string error;
  MkvtermVerdict v = interpret_mkvterm(r, port, error);
  std::string cmd = "mkvterm --id " + std::to_string(*c.cfg.lpar_id);
  if (v == MkvtermVerdict::Opened) {
    c.state = State::Open;
    c.reset_tried = false;
    c.backend = HostPort{"127.0.0.1", port};
    log_info("console " + name + ": vterm open on 127.0.0.1:" + std::to_string(port) +
             (r.exit_status == 3 ? " (was already open as VNC)" : ""));
    report_vterms();
    notify(c, &c.backend, {});
    if (c.leases == 0) arm_idle(c);
    return;
  }
  if (v == MkvtermVerdict::BusyOutOfBand && c.cfg.force && !c.reset_tried && !stopping_) {
    c.reset_tried = true;
    log_warning("console " + name + ": " + error + "; force=true, resetting it with rmvterm");
    c.state = State::Closing;
    c.op = mkvterm_.close(*c.cfg.lpar_id,
                          [this, name](ProcessResult rr) { on_rmvterm(name, std::move(rr)); });
    return;
  }
  c.reset_tried = false;
  c.state = State::Closed;
  if (v == MkvtermVerdict::BusyOutOfBand) error += "; set force=true to reset it";
  metrics().mkvterm_failures++;
  log_error("console " + name + ": " + cmd + " failed " + error);
  // The sessions' audit records carry the operator's detail; their users
  // get a fixed reason (Session::on_console_ready).
  notify(c, nullptr, cmd + " failed " + error);
  maybe_forget(name);
}

void ConsoleRegistry::arm_idle(Console &c) {
  if (stopping_) return;
  std::string name = c.cfg.name;
  if (c.removed || idle_close_ == 0) {
    log_info("console " + name + ": no sessions, closing with rmvterm");
    start_close(c);
    return;
  }
  c.idle_deadline = g_get_real_time() / 1000000 + idle_close_;
  // Millisecond timers: the seconds variants may fire up to a second early.
  Console *con = &c;  // the timer is the console's: it never outlives it
  c.idle_timer.once(idle_close_ * 1000u, [this, con] {
    con->idle_deadline = 0;
    log_info("console " + con->cfg.name + ": idle, closing with rmvterm");
    start_close(*con);
  });
}

void ConsoleRegistry::start_close(Console &c) {
  bool adopted_idle = c.adopted && c.state == State::Closed && c.leases == 0;
  if ((c.state != State::Open && !adopted_idle) || !c.cfg.lpar_id) return;
  c.adopted = false;
  metrics().rmvterm_calls++;
  c.state = State::Closing;
  std::string name = c.cfg.name;
  c.op = mkvterm_.close(*c.cfg.lpar_id,
                        [this, name](ProcessResult r) { on_rmvterm(name, std::move(r)); });
}

void ConsoleRegistry::on_rmvterm(const std::string &name, ProcessResult r) {
  auto it = consoles_.find(name);
  if (it == consoles_.end()) return;
  Console &c = *it->second;
  auto finished_op = std::move(c.op);
  std::string cmd = "rmvterm --id " + std::to_string(*c.cfg.lpar_id);
  if (r.started && !r.timed_out && r.exit_status == 0) {
    log_info("console " + name + ": vterm closed (" + cmd + ")");
  } else {
    log_warning("console " + name + ": " + cmd + " failed " + describe_process_failure(r));
  }
  c.state = State::Closed;
  report_vterms();
  if (stopping_) {
    check_shutdown_done();
    return;
  }
  // Sessions arrived while it closed (or a forced reset): open again.
  if (!c.waiters.empty() || c.reset_tried) {
    start_open(c);
  } else {
    maybe_forget(name);
  }
}

void ConsoleRegistry::schedule_notify(Console &c) {
  if (c.notify_idle.active()) return;
  Console *con = &c;  // the idle call is the console's: it never outlives it
  c.notify_idle.idle(
      [this, con] {
        if (con->removed && con->state != State::Opening) {
          notify(*con, nullptr, "console was removed");
        } else if (con->state == State::Open) {
          notify(*con, &con->backend, {});
        } else if (stopping_) {
          notify(*con, nullptr, "gateway stopping");
        }
      },
      G_PRIORITY_DEFAULT);
}

void ConsoleRegistry::notify(Console &c, const HostPort *backend, const std::string &error) {
  // Callbacks may drop leases (and so erase waiters): work on a copy.
  auto waiters = std::move(c.waiters);
  c.waiters.clear();
  HostPort copy = backend ? *backend : HostPort{};
  for (auto &[id, ready] : waiters) ready(backend ? &copy : nullptr, error);
}

void ConsoleRegistry::maybe_forget(const std::string &name) {
  auto it = consoles_.find(name);
  if (it == consoles_.end()) return;
  Console &c = *it->second;
  if (!c.removed || c.leases > 0) return;
  if (c.state == State::Open && c.cfg.lpar_id) {
    if (!c.idle_timer.active()) start_close(c);
    return;
  }
  if (c.state == State::Opening || c.state == State::Closing) return;
  consoles_.erase(it);  // its timers go with it
}

void ConsoleRegistry::shutdown(std::function<void()> done) {
  stopping_ = true;
  shutdown_done_ = std::move(done);
  for (auto &[name, c] : consoles_) {
    c->idle_timer.cancel();
    if (c->state == State::Opening) {
      c->op.reset();  // kills mkvterm, which may have opened the vterm already
      c->state = State::Open;
      log_info("console " + name + ": mkvterm interrupted, closing with rmvterm (daemon stopping)");
      start_close(*c);
      continue;
    }
    if ((c->state == State::Open || c->adopted) && c->cfg.lpar_id) {
      log_info("console " + name + ": closing with rmvterm (daemon stopping)");
      start_close(*c);
    }
  }
  check_shutdown_done();
}

void ConsoleRegistry::check_shutdown_done() {
  if (!shutdown_done_) return;
  for (auto &[name, c] : consoles_) {
    if (c->state == State::Closing) return;
  }
  auto done = std::move(shutdown_done_);
  shutdown_done_ = nullptr;
  done();
}

ConsoleRegistry::Snapshot ConsoleRegistry::snapshot(const std::string &name) const {
  Snapshot snap;
  auto it = consoles_.find(name);
  if (it == consoles_.end()) {
    snap.state = "closed";
    return snap;
  }
  const Console &c = *it->second;
  switch (c.state) {
    case State::Closed:
      snap.state = "closed";
      break;
    case State::Opening:
      snap.state = "opening";
      break;
    case State::Open:
      snap.state = "open";
      break;
    case State::Closing:
      snap.state = "closing";
      break;
  }
  snap.sessions = c.leases;
  snap.idle_deadline = c.idle_deadline;
  return snap;
}

void ConsoleRegistry::report_vterms() {
  if (!vterms_changed_) return;
  std::vector<std::pair<std::string, int>> open;
  for (const auto &[name, c] : consoles_) {
    if (c->cfg.lpar_id && (c->state == State::Open || c->state == State::Closing || c->adopted))
      open.emplace_back(name, *c->cfg.lpar_id);
  }
  vterms_changed_(open);
}

void ConsoleRegistry::adopt(const std::vector<std::pair<std::string, int>> &vterms) {
  for (const auto &[name, lpar] : vterms) {
    auto it = consoles_.find(name);
    if (it == consoles_.end() || it->second->removed || it->second->cfg.lpar_id != lpar) {
      // Not ours to keep any more: close it now, outside the console table.
      log_warning("console " + name + ": a previous run left lpar " + std::to_string(lpar) +
                  " open but it is no longer configured so; closing it now");
      metrics().rmvterm_calls++;
      auto id = next_waiter_++;
      orphans_[id] = mkvterm_.close(lpar, [this, id, lpar](ProcessResult r) {
        if (r.started && !r.timed_out && r.exit_status == 0) {
          log_info("lpar " + std::to_string(lpar) + ": vterm left by a previous run closed");
        } else {
          log_warning("lpar " + std::to_string(lpar) + ": rmvterm failed " +
                      describe_process_failure(r));
        }
        // Safe inside its own callback: ProcessRun touches nothing after it.
        orphans_.erase(id);
      });
      continue;
    }
    Console &c = *it->second;
    c.adopted = true;
    log_info("console " + name + ": a previous run left lpar " + std::to_string(lpar) +
             " open; closing it after the idle grace unless a session arrives");
    arm_idle(c);
  }
  report_vterms();
}

}  // namespace vncgate
