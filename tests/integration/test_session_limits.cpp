// Limits on a logged-in session: a backend that does not answer within
// backend-timeout, authorization withdrawn by a reload, and
// max-session-time. Each test checks what the client sees and the audit.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <regex>
#include <thread>

#include "gateway_test.h"
#include "raw_socket.h"
#include "wait.h"

namespace vncgate::it {
namespace {

std::string field(const AuditRecord &a, const std::string &key) {
  auto it = a.find(key);
  return it == a.end() ? std::string("<missing>") : it->second;
}

// A loopback "VNC server" that accepts TCP (the kernel completes the
// handshake from the listen queue) and then says nothing; with
// `greet`, a thread accepts and sends the RFB version, then stalls.
class StalledBackend {
 public:
  explicit StalledBackend(bool greet) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 ||
        listen(fd_, 16) != 0)
      throw std::runtime_error("cannot listen on loopback");
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr *>(&a), &len);
    port_ = ntohs(a.sin_port);
    if (greet) thread_ = std::thread([this] { serve(); });
  }
  ~StalledBackend() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    for (int c : accepted_) ::close(c);
    ::close(fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int greeted() const { return greeted_; }

 private:
  void serve() {
    for (int i = 0; i < 600 && !stop_; ++i) {  // bounded: at most 60 s
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) != 1) continue;
      int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      accepted_.push_back(c);
      if (::send(c, "RFB 003.008\n", 12, MSG_NOSIGNAL) == 12) ++greeted_;
    }
  }
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> greeted_{0};
  std::vector<int> accepted_;
};

class SessionLimitsTest : public GatewayTest {
 protected:
  // Logs in as alice and expects a failed SecurityResult; returns its reason.
  std::string login_refused(const std::string &console) {
    GvncClient client(via_gateway(console));
    std::string error;
    EXPECT_TRUE(client.open(error)) << error;
    EXPECT_TRUE(client.wait_settled(20s)) << client.describe();
    EXPECT_TRUE(client.wait_disconnected(10s)) << client.describe();
    EXPECT_FALSE(client.initialized()) << client.describe();
    EXPECT_TRUE(client.auth_failed()) << client.describe();
    return client.auth_failure_reason();
  }

  void reload() {
    const int before = daemon_.count_log(std::regex("configuration reloaded from"));
    daemon_.write_config_text(daemon_.config().render());
    ASSERT_TRUE(daemon_.send_signal(SIGHUP));
    ASSERT_TRUE(wait_until(
        [&] { return daemon_.count_log(std::regex("configuration reloaded from")) > before; },
        5000ms))
        << daemon_.log();
  }

  std::optional<AuditRecord> audit_of(const std::string &user_prefix) const {
    for (const auto &a : daemon_.audits())
      if (field(a, "user").starts_with(user_prefix)) return a;
    return std::nullopt;
  }
};

TEST_F(SessionLimitsTest, SilentBackendGetsTheUserAReasonAtBackendTimeout) {
  StalledBackend silent(false);
  daemon_.config().set("console:silent", "backend", silent.address());
  daemon_.config().set("gateway", "backend-timeout", "1");
  daemon_.config().set("gateway", "handshake-timeout", "30");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  const auto start = Clock::now();
  EXPECT_EQ(login_refused("silent"), "the console did not answer");
  EXPECT_LE(elapsed_ms(start), 8000) << "the user waited far past backend-timeout";
  auto audit = daemon_.wait_for_audit(5s);
  ASSERT_TRUE(audit);
  EXPECT_NE(field(*audit, "end").find("did not answer"), std::string::npos) << to_string(*audit);
  EXPECT_TRUE(std::regex_match(field(*audit, "user"), std::regex("alice(@.*)?")))
      << to_string(*audit);
  EXPECT_LOG(daemon_, "console silent: the backend did not complete its RFB handshake within 1 s",
             2s);
}

TEST_F(SessionLimitsTest, BackendStalledInItsHandshakeGetsTheSameReason) {
  StalledBackend stalled(true);
  daemon_.config().set("console:stalled", "backend", stalled.address());
  daemon_.config().set("gateway", "backend-timeout", "1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  EXPECT_EQ(login_refused("stalled"), "the console did not answer");
  EXPECT_GE(stalled.greeted(), 1) << "the gateway never reached the backend";
  auto audit = daemon_.wait_for_audit(5s);
  ASSERT_TRUE(audit);
  EXPECT_NE(field(*audit, "end").find("did not answer"), std::string::npos) << to_string(*audit);
}

TEST_F(SessionLimitsTest, ReloadDroppingAUserEndsOnlyTheirSessions) {
  add_static_console("shared");
  console_key("shared", "allowed-users", "alice;bob");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  GvncClient alice(via_gateway("shared"));
  GvncClient bob(via_gateway("shared", "bob", kBobPassword));
  std::string error;
  ASSERT_TRUE(alice.open(error)) << error;
  ASSERT_TRUE(alice.wait_full_update(10s)) << alice.describe();
  ASSERT_TRUE(bob.open(error)) << error;
  ASSERT_TRUE(bob.wait_full_update(10s)) << bob.describe();

  console_key("shared", "allowed-users", "bob");
  ASSERT_NO_FATAL_FAILURE(reload());
  EXPECT_TRUE(alice.wait_disconnected(5s)) << "alice still connected: " << alice.describe();
  ASSERT_TRUE(daemon_.wait_for_audit(5s)) << daemon_.log();
  auto a = audit_of("alice");
  ASSERT_TRUE(a) << daemon_.log();
  EXPECT_EQ(field(*a, "end"), "authorization withdrawn") << to_string(*a);
  EXPECT_TRUE(bob.refresh(10s)) << "bob's session did not survive: " << bob.describe();
  EXPECT_EQ(daemon_.audits().size(), 1u);
  EXPECT_LOG(daemon_, "no longer in allowed-users of console shared; ending the session", 2s);
}

TEST_F(SessionLimitsTest, ReloadRemovingAConsoleEndsItsSessions) {
  add_static_console("gone");
  add_static_console("kept");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  GvncClient on_gone(via_gateway("gone"));
  GvncClient on_kept(via_gateway("kept"));
  std::string error;
  ASSERT_TRUE(on_gone.open(error)) << error;
  ASSERT_TRUE(on_gone.wait_full_update(10s)) << on_gone.describe();
  ASSERT_TRUE(on_kept.open(error)) << error;
  ASSERT_TRUE(on_kept.wait_full_update(10s)) << on_kept.describe();

  daemon_.config().remove_section("console:gone");
  ASSERT_NO_FATAL_FAILURE(reload());
  EXPECT_TRUE(on_gone.wait_disconnected(5s)) << on_gone.describe();
  auto audit = daemon_.wait_for_audit(5s);
  ASSERT_TRUE(audit) << daemon_.log();
  EXPECT_EQ(field(*audit, "end"), "authorization withdrawn") << to_string(*audit);
  EXPECT_EQ(field(*audit, "console"), "gone") << to_string(*audit);
  EXPECT_TRUE(on_kept.refresh(10s)) << on_kept.describe();
}

TEST_F(SessionLimitsTest, MaxSessionTimeEndsTheSession) {
  add_static_console("timed");
  daemon_.config().set("gateway", "max-session-time", "2");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  GvncClient client(via_gateway("timed"));
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(client.wait_full_update(10s)) << client.describe();
  const auto relaying = Clock::now();
  EXPECT_TRUE(client.wait_disconnected(8s)) << client.describe();
  EXPECT_GE(elapsed_ms(relaying), 1500) << "ended before max-session-time";
  auto audit = daemon_.wait_for_audit(5s);
  ASSERT_TRUE(audit) << daemon_.log();
  EXPECT_EQ(field(*audit, "end"), "max-session-time reached") << to_string(*audit);
}

}  // namespace
}  // namespace vncgate::it
