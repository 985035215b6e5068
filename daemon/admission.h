// Admission of unauthenticated connections: how many handshakes one source
// (an IPv4 address or an IPv6 /64) and everyone together may hold, and how
// many bytes all handshakes may buffer before authentication. Pure counting:
// no sockets and no clock of its own, so it is unit-tested directly.
//
// A connection is admitted with a Ticket (RAII): the session holds it until
// it has authenticated (or ends), and declares what it buffers through it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace vncgate {

// The source a connection is counted against: an IPv4 address ("192.0.2.7"),
// or the /64 of an IPv6 address ("2001:db8:1:2::/64"); IPv4-mapped IPv6
// (a dual-stack listener's view of an IPv4 client) counts as the IPv4
// address. `addr` is 4 or 16 bytes in network order; anything else is "?".
std::string admission_source(const uint8_t *addr, size_t len);

struct AdmissionLimits {
  size_t per_source = 16;            // handshakes from one source
  size_t total = 256;                // handshakes from everyone
  size_t buffer_budget = 32u << 20;  // bytes buffered by all handshakes
};

class AdmissionControl {
 public:
  enum class Refusal { None, PerSource, Total, Budget };

  class Ticket {
   public:
    Ticket() = default;
    ~Ticket() { release(); }
    Ticket(Ticket &&other) noexcept { *this = std::move(other); }
    Ticket &operator=(Ticket &&other) noexcept;
    Ticket(const Ticket &) = delete;
    Ticket &operator=(const Ticket &) = delete;

    // Declares that the holder now buffers `bytes` (replacing what it declared
    // before). Growing past the global budget is refused: false, and the
    // previous figure stays. Always true once released.
    bool set_buffered(size_t bytes);
    // The handshake is over (authenticated or ended): its places are freed.
    void release();
    bool held() const { return owner_ != nullptr; }
    size_t buffered() const { return buffered_; }

   private:
    friend class AdmissionControl;
    AdmissionControl *owner_ = nullptr;
    std::string source_;
    uint64_t seq_ = 0;  // admission order within the source
    size_t buffered_ = 0;
  };

  explicit AdmissionControl(AdmissionLimits limits = {}) : limits_(limits) {}
  // Outstanding tickets must have been released before destruction.
  ~AdmissionControl() = default;
  AdmissionControl(const AdmissionControl &) = delete;
  AdmissionControl &operator=(const AdmissionControl &) = delete;

  // New limits apply to new admissions; tickets already out stay valid.
  void set_limits(const AdmissionLimits &limits) { limits_ = limits; }
  const AdmissionLimits &limits() const { return limits_; }

  // A ticket for a new handshake from `source`, or an empty one with `why`.
  // When every place (limits.total) is taken, the source holding the most
  // handshakes loses its oldest one, if it holds at least two more than
  // `source`: `evict` of that ticket is called (it must end that handshake,
  // releasing its ticket) and the place goes to the newcomer. So sources
  // that flood cannot lock out one that does not.
  Ticket admit(const std::string &source, Refusal &why, std::function<void()> evict = {});

  // True when a refusal of `source` at `now_us` (monotonic µs) should be
  // logged: at most one line a second per source. Remembers a bounded number
  // of sources. `suppressed` gets how many refusals went unlogged before it.
  bool should_log(const std::string &source, int64_t now_us, uint64_t &suppressed);

  // A connection refused at accept because max-sessions was full (counted
  // here so the metrics show every refusal at accept together).
  void note_max_sessions_refusal() { ++refused_max_sessions_; }
  // Prometheus text: handshakes in progress, bytes buffered, refusals by
  // reason, evictions.
  std::string metrics_text() const;

  size_t handshakes() const { return total_; }
  size_t handshakes_from(const std::string &source) const;
  size_t buffered() const { return buffered_; }

  // Called when buffered bytes fell to a quarter of a high-water mark of at
  // least 4 MiB, or to nothing after at least 256 KiB: a moment to hand
  // freed memory back to the system.
  std::function<void()> on_drained;

 private:
  void unbuffer(size_t bytes);
  // Ends the oldest handshake of the busiest source if it holds at least two
  // more than `source`; true when a place was freed.
  bool evict_for(const std::string &source);

  AdmissionLimits limits_;
  // Per source: each outstanding ticket's eviction, oldest first.
  std::map<std::string, std::map<uint64_t, std::function<void()>>> per_source_;
  uint64_t next_seq_ = 0;
  size_t total_ = 0;
  size_t buffered_ = 0;
  size_t high_water_ = 0;
  uint64_t refused_[4] = {};  // by Refusal
  uint64_t refused_max_sessions_ = 0;
  uint64_t evicted_ = 0;
  struct LogState {
    int64_t last_us;
    uint64_t suppressed;
  };
  std::map<std::string, LogState> log_;
  LogState overflow_{INT64_MIN / 2, 0};  // sources past the remembered ones
};

const char *admission_refusal_name(AdmissionControl::Refusal r);

}  // namespace vncgate
