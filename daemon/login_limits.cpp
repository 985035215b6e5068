#include "login_limits.h"

#include <glib.h>

#include "control/json_reply.h"
#include "control/metrics.h"
#include "logging.h"

namespace vncgate {
namespace {

int64_t monotonic_ms() {
  return g_get_monotonic_time() / 1000;
}

unsigned ceil_seconds(int64_t ms) {
  return ms <= 0 ? 0 : static_cast<unsigned>((ms + 999) / 1000);
}

const char *service_name(LoginService s) {
  return s == LoginService::Rfb ? "rfb" : "control";
}

}  // namespace

bool is_password_mechanism(const std::string &mechanism) {
  if (mechanism.empty() || mechanism == "x509-none") return false;
  g_autofree gchar *up = g_ascii_strup(mechanism.c_str(), -1);
  std::string m = up;
  return m != "GSSAPI" && m != "GSS-SPNEGO" && !m.starts_with("GS2-") && m != "EXTERNAL" &&
         m != "ANONYMOUS";
}

LoginLimits::LoginLimits() : throttle_(LoginThrottleSettings{}, &monotonic_ms) {}

void LoginLimits::configure(const LoginThrottleSettings &settings) {
  if (!(settings == throttle_.settings())) throttle_.configure(settings);
}

std::string LoginLimits::account_key(LoginService service, const std::string &user,
                                     const std::string &realm) {
  std::string name = user;
  if (service == LoginService::Rfb && !realm.empty() && name.size() > realm.size() + 1 &&
      name.ends_with("@" + realm))
    name.resize(name.size() - realm.size() - 1);
  return (service == LoginService::Rfb ? "user:" : "control:") + name;
}

int64_t LoginLimits::to_unix(int64_t clock_ms) const {
  return g_get_real_time() / 1000000 + ceil_seconds(clock_ms - monotonic_ms());
}

unsigned LoginLimits::source_wait(const std::string &ip) {
  std::string key = LoginThrottle::source_key(ip);
  return key.empty() ? 0 : ceil_seconds(throttle_.source_wait(key));
}

unsigned LoginLimits::password_attempt(LoginService service, const std::string &user,
                                       const std::string &realm) {
  if (user.empty()) return 0;
  return ceil_seconds(throttle_.account_attempt(account_key(service, user, realm)));
}

void LoginLimits::failed(LoginService service, const std::string &ip, const std::string &user,
                         const std::string &realm, bool password_guess) {
  metrics().auth_failures[service_name(service)]++;
  const std::string account =
      password_guess && !user.empty() ? account_key(service, user, realm) : "";
  const std::string source = LoginThrottle::source_key(ip);
  auto out = throttle_.record_failure(source, account);
  if (share_) share_(source, account);
  log_outcome(out, account,
              std::string(user.empty() ? "without a user name" : "as " + log_safe(user)) + " on " +
                  service_name(service),
              "from " + ip);
}

void LoginLimits::remote_failure(const std::string &message, const std::string &own_node) {
  auto f = parse_shared_failure(message);
  if (!f || f->node == own_node || f->source.empty()) return;
  auto out = throttle_.record_failure(f->source, f->account);
  const std::string where = "on node " + log_safe(f->node) + " from " + f->source;
  log_outcome(out, f->account, where, where);
}

// `source_last`, `account_last`: the failure that tipped it, for the operator.
void LoginLimits::log_outcome(const LoginThrottle::FailureOutcome &out, const std::string &account,
                              const std::string &source_last, const std::string &account_last) {
  const auto &s = throttle_.settings();
  if (out.lockout) {
    metrics().lockouts["source"]++;
    log_warning("login limits: refusing " + out.lockout->source + " until " +
                iso8601_utc(to_unix(out.lockout->until_ms)) + " (" +
                std::to_string(ceil_seconds(out.lockout->duration_ms)) + " s, lockout " +
                std::to_string(out.lockout->count) + " in a row) after failed logins, the last " +
                source_last);
  }
  if (out.throttled_until) {
    metrics().lockouts["account"]++;
    log_warning("login limits: " + std::to_string(s.threshold) + " failed password logins of " +
                log_safe(account) + " within " + std::to_string(static_cast<long>(s.window)) +
                " s; its password logins are limited to " + std::to_string(s.user_rate) +
                " a minute until " + iso8601_utc(to_unix(*out.throttled_until)) + " (the last " +
                account_last + ")");
  }
}

std::vector<LoginLimits::Item> LoginLimits::list() {
  std::vector<Item> out;
  for (const auto &e : throttle_.list()) {
    out.push_back(Item{e.key, e.kind == LoginThrottle::Kind::Source ? "source" : "account",
                       e.failures, e.lockouts, to_unix(e.until_ms)});
  }
  return out;
}

bool LoginLimits::remove(const std::string &key) {
  if (!throttle_.remove(key)) return false;
  log_info("login limits: " + log_safe(key) + " unlocked by an operator");
  return true;
}

std::string shared_failure_message(const SharedFailure &f) {
  return f.node + "\n" + f.source + "\n" + f.account;
}

std::optional<SharedFailure> parse_shared_failure(const std::string &message) {
  size_t a = message.find('\n');
  if (a == std::string::npos) return std::nullopt;
  size_t b = message.find('\n', a + 1);
  if (b == std::string::npos) return std::nullopt;
  SharedFailure f{message.substr(0, a), message.substr(a + 1, b - a - 1), message.substr(b + 1)};
  if (f.node.empty()) return std::nullopt;
  return f;
}

}  // namespace vncgate
