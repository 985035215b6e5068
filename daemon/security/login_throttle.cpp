#include "security/login_throttle.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace vncgate {
namespace {

constexpr int64_t kPruneEveryMs = 60 * 1000;

// Drops the oldest entries (by `age`) until `m` is back to 90% of `cap`, so a
// flood of new keys prunes in batches rather than on every insert.
template <typename Map, typename Age>
void evict_oldest(Map &m, size_t cap, Age age) {
  if (m.size() <= cap) return;
  std::vector<std::pair<int64_t, typename Map::key_type>> order;
  order.reserve(m.size());
  for (const auto &[k, v] : m) order.emplace_back(age(v), k);
  size_t drop = m.size() - cap * 9 / 10;
  std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(drop - 1),
                   order.end());
  for (size_t i = 0; i < drop; ++i) m.erase(order[i].second);
}

}  // namespace

LoginThrottle::LoginThrottle(LoginThrottleSettings settings, Clock clock)
    : settings_(settings), clock_(std::move(clock)) {
  last_prune_ = clock_();
}

void LoginThrottle::configure(const LoginThrottleSettings &settings) {
  settings_ = settings;
}

std::string LoginThrottle::source_key(const std::string &address) {
  std::string a = address;
  if (a.size() > 2 && a.front() == '[' && a.back() == ']') a = a.substr(1, a.size() - 2);
  if (a.ends_with("/64")) a.resize(a.size() - 3);
  if (size_t pct = a.find('%'); pct != std::string::npos) a.resize(pct);  // zone of a link-local
  char text[INET6_ADDRSTRLEN];
  in_addr v4;
  if (inet_pton(AF_INET, a.c_str(), &v4) == 1) return inet_ntop(AF_INET, &v4, text, sizeof text);
  in6_addr v6;
  if (inet_pton(AF_INET6, a.c_str(), &v6) != 1) return "";
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {
    std::memcpy(&v4, &v6.s6_addr[12], 4);
    return inet_ntop(AF_INET, &v4, text, sizeof text);
  }
  // One host usually holds a whole /64 (SLAAC, privacy addresses).
  std::memset(&v6.s6_addr[8], 0, 8);
  return std::string(inet_ntop(AF_INET6, &v6, text, sizeof text)) + "/64";
}

void LoginThrottle::expire(std::deque<int64_t> &failures, int64_t now) const {
  const int64_t horizon = now - ms(settings_.window);
  while (!failures.empty() && failures.front() <= horizon) failures.pop_front();
}

void LoginThrottle::add_failure(std::deque<int64_t> &failures, int64_t now) const {
  expire(failures, now);
  failures.push_back(now);
  // Only whether `threshold` of them fall in the window matters.
  while (failures.size() > settings_.threshold) failures.pop_front();
}

bool LoginThrottle::throttled(const AccountState &a, int64_t now) const {
  return settings_.threshold > 0 && a.failures.size() >= settings_.threshold &&
         a.failures.front() > now - ms(settings_.window);
}

int64_t LoginThrottle::throttled_until(const AccountState &a) const {
  return a.failures.front() + ms(settings_.window);
}

int64_t LoginThrottle::source_wait(const std::string &source) {
  if (settings_.threshold == 0) return 0;
  const int64_t now = clock_();
  prune(now, false);
  auto it = sources_.find(source);
  if (it == sources_.end() || it->second.locked_until <= now) return 0;
  return it->second.locked_until - now;
}

int64_t LoginThrottle::account_attempt(const std::string &account) {
  if (settings_.threshold == 0) return 0;
  const int64_t now = clock_();
  prune(now, false);
  auto it = accounts_.find(account);
  if (it == accounts_.end()) return 0;  // no failures: nothing to remember
  AccountState &a = it->second;
  expire(a.failures, now);
  const int64_t spacing = 60000 / std::max(1u, settings_.user_rate);
  if (throttled(a, now) && now < a.next_slot) return a.next_slot - now;
  // Spaced even before the threshold, so none of the first throttled
  // attempts can follow the last free one at once.
  a.next_slot = now + spacing;
  return 0;
}

LoginThrottle::FailureOutcome LoginThrottle::record_failure(const std::string &source,
                                                            const std::string &account) {
  FailureOutcome out;
  if (settings_.threshold == 0) return out;
  const int64_t now = clock_();
  prune(now, false);
  if (!source.empty()) {
    SourceState &s = sources_[source];
    // After a lockout the source is on probation: its next failure refuses
    // it again, for twice as long, until it has been quiet for `memory`.
    if (s.lockouts > 0 && std::max(s.locked_until, s.last_failure) <= now - memory()) s = {};
    const bool probation = s.lockouts > 0;
    add_failure(s.failures, now);
    s.last_failure = now;
    if (now >= s.locked_until && (probation || s.failures.size() >= settings_.threshold)) {
      int64_t duration = ms(settings_.backoff);
      const int64_t cap = std::max(ms(settings_.backoff_max), duration);
      for (unsigned i = 0; i < s.lockouts && duration < cap; ++i) duration *= 2;
      duration = std::min(duration, cap);
      s.lockouts++;
      s.locked_until = now + duration;
      out.lockout = Lockout{source, s.locked_until, duration, s.lockouts};
    }
  }
  if (!account.empty()) {
    AccountState &a = accounts_[account];
    expire(a.failures, now);
    const bool was = throttled(a, now);
    add_failure(a.failures, now);
    if (!was && throttled(a, now)) out.throttled_until = throttled_until(a);
  }
  if (sources_.size() > settings_.max_entries || accounts_.size() > settings_.max_entries)
    prune(now, true);
  return out;
}

std::vector<LoginThrottle::Entry> LoginThrottle::list() {
  std::vector<Entry> out;
  const int64_t now = clock_();
  prune(now, false);
  for (const auto &[key, s] : sources_) {
    if (s.locked_until <= now) continue;
    Entry e{key, Kind::Source, 0, s.locked_until, s.lockouts};
    for (int64_t t : s.failures) e.failures += t > now - ms(settings_.window);
    out.push_back(std::move(e));
  }
  for (auto &[key, a] : accounts_) {
    expire(a.failures, now);
    if (!throttled(a, now)) continue;
    out.push_back(
        Entry{key, Kind::Account, static_cast<unsigned>(a.failures.size()), throttled_until(a), 0});
  }
  return out;
}

size_t LoginThrottle::active() const {
  const int64_t now = clock_();
  size_t n = 0;
  for (const auto &[key, s] : sources_) n += s.locked_until > now;
  for (const auto &[key, a] : accounts_) n += throttled(a, now);
  return n;
}

bool LoginThrottle::remove(const std::string &key) {
  if (sources_.erase(key) || accounts_.erase(key)) return true;
  std::string normal = source_key(key);
  return !normal.empty() && sources_.erase(normal) > 0;
}

void LoginThrottle::prune(int64_t now, bool force) {
  if (!force && now - last_prune_ < kPruneEveryMs) return;
  last_prune_ = now;
  std::erase_if(sources_, [&](const auto &kv) {
    return std::max(kv.second.locked_until, kv.second.last_failure) <= now - memory();
  });
  for (auto it = accounts_.begin(); it != accounts_.end();) {
    expire(it->second.failures, now);
    if (it->second.failures.empty() && it->second.next_slot <= now)
      it = accounts_.erase(it);
    else
      ++it;
  }
  evict_oldest(sources_, settings_.max_entries,
               [](const SourceState &s) { return std::max(s.locked_until, s.last_failure); });
  evict_oldest(accounts_, settings_.max_entries, [](const AccountState &a) {
    return std::max(a.next_slot, a.failures.empty() ? int64_t{0} : a.failures.back());
  });
}

}  // namespace vncgate
