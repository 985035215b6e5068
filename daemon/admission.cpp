#include "admission.h"

#include <cstdio>
#include <string>
#include <utility>

namespace vncgate {
namespace {

constexpr size_t kDrainHighWater = 4u << 20;
constexpr size_t kDrainLastCrumbs = 256u << 10;
constexpr size_t kMaxLogSources = 4096;
constexpr int64_t kLogIntervalUs = 1000000;

}  // namespace

std::string admission_source(const uint8_t *addr, size_t len) {
  char buf[64];
  if (len == 16) {
    static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    bool mapped = true;
    for (size_t i = 0; i < 12; ++i) mapped = mapped && addr[i] == kMapped[i];
    if (mapped) {
      addr += 12;
      len = 4;
    } else {
      std::snprintf(buf, sizeof buf, "%x:%x:%x:%x::/64", (addr[0] << 8) | addr[1],
                    (addr[2] << 8) | addr[3], (addr[4] << 8) | addr[5], (addr[6] << 8) | addr[7]);
      return buf;
    }
  }
  if (len == 4) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", addr[0], addr[1], addr[2], addr[3]);
    return buf;
  }
  return "?";
}

const char *admission_refusal_name(AdmissionControl::Refusal r) {
  switch (r) {
    case AdmissionControl::Refusal::None:
      return "admitted";
    case AdmissionControl::Refusal::PerSource:
      return "max-handshakes-per-source";
    case AdmissionControl::Refusal::Total:
      return "max-handshakes";
    case AdmissionControl::Refusal::Budget:
      return "handshake-buffer-mib";
  }
  return "?";
}

AdmissionControl::Ticket &AdmissionControl::Ticket::operator=(Ticket &&other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::exchange(other.owner_, nullptr);
    source_ = std::move(other.source_);
    seq_ = other.seq_;
    buffered_ = std::exchange(other.buffered_, 0);
  }
  return *this;
}

bool AdmissionControl::Ticket::set_buffered(size_t bytes) {
  if (!owner_) return true;
  if (bytes > buffered_) {
    size_t grow = bytes - buffered_;
    if (owner_->buffered_ + grow > owner_->limits_.buffer_budget) return false;
    owner_->buffered_ += grow;
    if (owner_->buffered_ > owner_->high_water_) owner_->high_water_ = owner_->buffered_;
  } else {
    owner_->unbuffer(buffered_ - bytes);
  }
  buffered_ = bytes;
  return true;
}

void AdmissionControl::Ticket::release() {
  if (!owner_) return;
  AdmissionControl *o = std::exchange(owner_, nullptr);
  auto it = o->per_source_.find(source_);
  if (it != o->per_source_.end()) {
    it->second.erase(seq_);
    if (it->second.empty()) o->per_source_.erase(it);
  }
  --o->total_;
  o->unbuffer(std::exchange(buffered_, 0));
}

void AdmissionControl::unbuffer(size_t bytes) {
  buffered_ -= bytes;
  if ((high_water_ >= kDrainHighWater && buffered_ <= high_water_ / 4) ||
      (high_water_ >= kDrainLastCrumbs && buffered_ == 0)) {
    high_water_ = buffered_;
    if (on_drained) on_drained();
  }
}

bool AdmissionControl::evict_for(const std::string &source) {
  auto heaviest = per_source_.end();
  for (auto it = per_source_.begin(); it != per_source_.end(); ++it) {
    if (heaviest == per_source_.end() || it->second.size() > heaviest->second.size()) heaviest = it;
  }
  if (heaviest == per_source_.end() || heaviest->second.size() < handshakes_from(source) + 2)
    return false;
  // A copy: ending that handshake releases its ticket, which erases the entry.
  std::function<void()> evict = heaviest->second.begin()->second;
  size_t before = total_;
  if (evict) evict();
  if (total_ >= before) return false;
  ++evicted_;
  return true;
}

AdmissionControl::Ticket AdmissionControl::admit(const std::string &source, Refusal &why,
                                                 std::function<void()> evict) {
  Ticket t;
  if (handshakes_from(source) >= limits_.per_source) {
    why = Refusal::PerSource;
    ++refused_[static_cast<int>(why)];
    return t;
  }
  while (total_ >= limits_.total) {  // more than once only after a reload lowered the limit
    if (!evict_for(source)) {
      why = Refusal::Total;
      ++refused_[static_cast<int>(why)];
      return t;
    }
  }
  if (buffered_ >= limits_.buffer_budget) {
    why = Refusal::Budget;
    ++refused_[static_cast<int>(why)];
    return t;
  }
  t.seq_ = next_seq_++;
  per_source_[source].emplace(t.seq_, std::move(evict));
  ++total_;
  why = Refusal::None;
  t.owner_ = this;
  t.source_ = source;
  return t;
}

std::string AdmissionControl::metrics_text() const {
  std::string o;
  auto metric = [&](const char *name, const char *type, const char *help) {
    o += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  metric("vncgate_handshakes_in_progress", "gauge", "Connections still in the handshake.");
  o += "vncgate_handshakes_in_progress " + std::to_string(total_) + "\n";
  metric("vncgate_handshake_buffer_bytes", "gauge", "Bytes buffered by handshakes before login.");
  o += "vncgate_handshake_buffer_bytes " + std::to_string(buffered_) + "\n";
  metric("vncgate_connections_refused_total", "counter", "Connections closed at accept, by limit.");
  for (Refusal r : {Refusal::PerSource, Refusal::Total, Refusal::Budget})
    o += std::string("vncgate_connections_refused_total{limit=\"") + admission_refusal_name(r) +
         "\"} " + std::to_string(refused_[static_cast<int>(r)]) + "\n";
  o += "vncgate_connections_refused_total{limit=\"max-sessions\"} " +
       std::to_string(refused_max_sessions_) + "\n";
  metric("vncgate_handshakes_evicted_total", "counter",
         "Handshakes ended to give their place to a lighter source.");
  o += "vncgate_handshakes_evicted_total " + std::to_string(evicted_) + "\n";
  return o;
}

size_t AdmissionControl::handshakes_from(const std::string &source) const {
  auto it = per_source_.find(source);
  return it == per_source_.end() ? 0 : it->second.size();
}

bool AdmissionControl::should_log(const std::string &source, int64_t now_us, uint64_t &suppressed) {
  auto it = log_.find(source);
  if (it != log_.end()) {
    if (now_us - it->second.last_us < kLogIntervalUs) {
      ++it->second.suppressed;
      return false;
    }
    suppressed = std::exchange(it->second.suppressed, 0);
    it->second.last_us = now_us;
    return true;
  }
  if (log_.size() >= kMaxLogSources) {
    // Forget sources that have been quiet for a second; if every remembered
    // source is still busy, the newcomers share one budget of a line a second.
    std::erase_if(log_,
                  [&](const auto &kv) { return now_us - kv.second.last_us >= kLogIntervalUs; });
    if (log_.size() >= kMaxLogSources) {
      if (now_us - overflow_.last_us < kLogIntervalUs) {
        ++overflow_.suppressed;
        return false;
      }
      suppressed = std::exchange(overflow_.suppressed, 0);
      overflow_.last_us = now_us;
      return true;
    }
  }
  log_.emplace(source, LogState{now_us, 0});
  suppressed = 0;
  return true;
}

}  // namespace vncgate
