// A login that is over must give its memory back (issue 17). Cyrus SASL
// 2.1.28's DIGEST-MD5 plugin leaked ~8 KiB per login with a security layer
// (daemon/security/digest_md5_cipher_leak.cpp has the story); a gateway
// that serves logins for months must not grow with each of them.
//
// A few hundred complete DIGEST-MD5 logins (auth-conf, the RFB handshake up
// to ServerInit through the layer, then close) against the real daemon and
// a real Xvnc; after a warm-up the daemon's VmRSS may grow by at most
// 1 KiB per login (with the leak: ~8 KiB; without: ~0-0.5 KiB of
// allocator noise).
#include <gtest/gtest.h>
#include <sys/types.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "gateway_test.h"
#include "rfb_test_client.h"
#include "wait.h"

namespace vncgate::it {
namespace {

using vncgate::testing::RfbSaslTestClient;
using vncgate::testing::SaslClientOptions;
using vncgate::testing::SaslOutcome;

constexpr int kWarmupLogins = 150;
constexpr int kBatches = 3;
constexpr int kBatchLogins = 100;
constexpr double kMaxKibPerLogin = 1.0;

long vm_rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

class LoginMemoryTest : public GatewayTest {
 protected:
  // One complete login as alice, closed again. False with the reason.
  bool login(std::string &error) {
    RfbSaslTestClient client(10000);
    SaslClientOptions options;
    options.authname = "alice";
    options.password = kAlicePassword;
    options.min_ssf = 56;  // a security layer, as on plain TCP
    options.force_mechlist = "DIGEST-MD5";
    SaslOutcome outcome;
    if (!client.connect("127.0.0.1", daemon_.gateway_port()) ||
        !client.handshake_sasl("/console/static1", options, &outcome) || !client.client_init() ||
        !client.read_server_init()) {
      error = client.error();
      return false;
    }
    if (outcome.mechanism != "DIGEST-MD5" || outcome.ssf < 56 || !client.layer_active()) {
      error = "logged in with " + outcome.mechanism + " at SSF " + std::to_string(outcome.ssf) +
              ", not DIGEST-MD5 with a security layer";
      return false;
    }
    return true;
  }

  // The daemon's VmRSS once it stops moving: a session is freed from an
  // idle callback after its audit record, so wait (bounded) until two
  // readings 100 ms apart agree.
  long settled_rss() {
    long last = -1, now = -1;
    wait_until(
        [&] {
          last = now;
          now = vm_rss_kib(daemon_.pid());
          return now == last;
        },
        3s, 100ms);
    return now;
  }

  // `count` logins, then waits until the daemon has ended every session
  // so far (one audit record each).
  void logins(int count, size_t sessions_before) {
    std::string error;
    for (int i = 0; i < count; ++i) ASSERT_TRUE(login(error)) << "login " << i + 1 << ": " << error;
    ASSERT_TRUE(daemon_.wait_for_audit(30s, sessions_before + static_cast<size_t>(count)))
        << "the daemon did not end all " << sessions_before + count << " sessions";
  }
};

TEST_F(LoginMemoryTest, DigestMd5LoginsWithALayerGiveTheirMemoryBack) {
#if defined(__SANITIZE_ADDRESS__)
  // ASan keeps freed memory in quarantine, so RSS grows anyway; in that
  // build LeakSanitizer checks the daemon for leaks at exit instead.
  GTEST_SKIP() << "RSS says nothing under AddressSanitizer; LeakSanitizer covers this build";
#endif
  add_static_console("static1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  // Warm-up: plugins, OpenSSL's tables and the allocator's arenas reach
  // their working size here.
  ASSERT_NO_FATAL_FAILURE(logins(kWarmupLogins, 0));
  // Then batches, each judged by its own growth: a leak shows in every
  // batch, while heap fragmentation now and then moves RSS by a few hundred
  // KiB in one of them. The median batch decides.
  std::vector<double> kib_per_login;
  std::string readings;
  auto start = Clock::now();
  size_t sessions = kWarmupLogins;
  for (int b = 0; b < kBatches; ++b) {
    long before = settled_rss();
    ASSERT_NO_FATAL_FAILURE(logins(kBatchLogins, sessions));
    sessions += kBatchLogins;
    long after = settled_rss();
    ASSERT_GT(before, 0);
    ASSERT_GT(after, 0);
    kib_per_login.push_back(static_cast<double>(after - before) / kBatchLogins);
    readings += " " + std::to_string(before) + "->" + std::to_string(after);
  }
  double seconds = elapsed_ms(start) / 1000.0;
  std::vector<double> sorted = kib_per_login;
  std::sort(sorted.begin(), sorted.end());
  double median = sorted[sorted.size() / 2];
  std::printf(
      "%d DIGEST-MD5 logins in %.1f s; VmRSS KiB per batch of %d:%s; median %.2f KiB "
      "per login\n",
      kBatches * kBatchLogins, seconds, kBatchLogins, readings.c_str(), median);
  EXPECT_LE(median, kMaxKibPerLogin)
      << "vncgated keeps memory from closed DIGEST-MD5 logins; VmRSS KiB per batch of "
      << kBatchLogins << " logins:" << readings;
}

}  // namespace
}  // namespace vncgate::it
