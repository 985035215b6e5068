#include "admission.h"

#include <cstdio>
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
    case AdmissionControl::Refusal::None: return "admitted";
    case AdmissionControl::Refusal::PerSource: return "max-handshakes-per-source";
    case AdmissionControl::Refusal::Total: return "max-handshakes";
    case AdmissionControl::Refusal::Budget: return "handshake-buffer-mib";
  }
  return "?";
}

AdmissionControl::Ticket &AdmissionControl::Ticket::operator=(Ticket &&other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::exchange(other.owner_, nullptr);
    source_ = std::move(other.source_);
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
  if (it != o->per_source_.end() && --it->second == 0) o->per_source_.erase(it);
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

AdmissionControl::Ticket AdmissionControl::admit(const std::string &source, Refusal &why) {
  Ticket t;
  if (total_ >= limits_.total) {
    why = Refusal::Total;
    return t;
  }
  size_t &mine = per_source_[source];
  if (mine >= limits_.per_source) {
    why = Refusal::PerSource;
    return t;
  }
  if (buffered_ >= limits_.buffer_budget) {
    if (mine == 0) per_source_.erase(source);
    why = Refusal::Budget;
    return t;
  }
  ++mine;
  ++total_;
  why = Refusal::None;
  t.owner_ = this;
  t.source_ = source;
  return t;
}

size_t AdmissionControl::handshakes_from(const std::string &source) const {
  auto it = per_source_.find(source);
  return it == per_source_.end() ? 0 : it->second;
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
    std::erase_if(log_, [&](const auto &kv) { return now_us - kv.second.last_us >= kLogIntervalUs; });
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
