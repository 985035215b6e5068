// Console name → backend. Opens an mkvterm console once for all its
// sessions, counts sessions through leases, and closes the vterm with
// rmvterm after idle-close seconds without a session.
//
//   Closed ─acquire─► Opening ─mkvterm ok─► Open ─last lease gone─► (idle timer)
//      ▲                 │ fail                ▲  new lease cancels   │ expires
//      └─────────────────┘                     └───────────────── Closing (rmvterm) ─► Closed
#pragma once

#include <glib.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "backends/mkvterm.h"
#include "config.h"
#include "io/main_loop_timer.h"

namespace vncgate {

class ConsoleRegistry {
 public:
  // `backend` is null when opening failed; `error` says why (operator log
  // and audit, sanitized; never shown to the client).
  using Ready = std::function<void(const HostPort *backend, const std::string &error)>;

  class Lease;

 private:
  struct Token {};  // only the registry makes leases

 public:
  class Lease {
   public:
    Lease(Token, ConsoleRegistry *r, std::string n, uint64_t w)
        : reg_(r), name_(std::move(n)), waiter_(w) {}
    ~Lease();
    Lease(const Lease &) = delete;
    Lease &operator=(const Lease &) = delete;

   private:
    ConsoleRegistry *reg_;
    std::string name_;
    uint64_t waiter_;
  };

  ConsoleRegistry() = default;
  ~ConsoleRegistry();
  ConsoleRegistry(const ConsoleRegistry &) = delete;
  ConsoleRegistry &operator=(const ConsoleRegistry &) = delete;

  // Applies a (re)loaded configuration; sessions keep their consoles.
  void configure(const Config &config);

  // Holds console `name` (which must exist in the configuration) for a
  // session; `ready` runs later from the main loop, at most once.
  std::unique_ptr<Lease> acquire(const std::string &name, Ready ready);

  // Closes every vterm this daemon opened, then calls `done`.
  void shutdown(std::function<void()> done);

  size_t sessions(const std::string &name) const;

  struct Snapshot {
    std::string state;  // closed, opening, open, closing
    size_t sessions = 0;
    int64_t idle_deadline = 0;  // unix seconds, 0 = none
  };
  Snapshot snapshot(const std::string &name) const;

  // Called whenever the set of vterms this daemon opened changes, with
  // (console, lpar-id) pairs: the daemon keeps it in its state directory.
  using VtermsChanged = std::function<void(const std::vector<std::pair<std::string, int>> &)>;
  void on_vterms_changed(VtermsChanged cb) { vterms_changed_ = std::move(cb); }
  // Vterms a previous run opened: closed after the idle grace unless a
  // session arrives first (mkvterm then finds it open and reuses it).
  void adopt(const std::vector<std::pair<std::string, int>> &vterms);

 private:
  enum class State { Closed, Opening, Open, Closing };
  struct Console {
    ConsoleConfig cfg;
    bool removed = false;
    State state = State::Closed;
    HostPort backend;
    unsigned leases = 0;
    std::map<uint64_t, Ready> waiters;
    std::unique_ptr<ProcessRun> op;
    MainLoopTimer idle_timer;   // idle-close
    MainLoopTimer notify_idle;  // tells waiters from the main loop
    bool reset_tried = false;
    bool adopted = false;       // left open by a previous run
    int64_t idle_deadline = 0;  // unix seconds while the idle timer runs
  };

  void release(const std::string &name, uint64_t waiter);
  void start_open(Console &c);
  void on_mkvterm(const std::string &name, ProcessResult r);
  void start_close(Console &c);
  void on_rmvterm(const std::string &name, ProcessResult r);
  void arm_idle(Console &c);
  void schedule_notify(Console &c);
  void notify(Console &c, const HostPort *backend, const std::string &error);
  void maybe_forget(const std::string &name);
  void check_shutdown_done();
  void report_vterms();

  MkvtermBackend mkvterm_;
  unsigned idle_close_ = 300;
  std::map<std::string, std::unique_ptr<Console>> consoles_;
  uint64_t next_waiter_ = 1;
  bool stopping_ = false;
  std::function<void()> shutdown_done_;
  VtermsChanged vterms_changed_;
  std::map<uint64_t, std::unique_ptr<ProcessRun>>
      orphans_;  // rmvterm of vterms no longer configured
};

}  // namespace vncgate
