// Refusals: each test asserts what the client sees and what the operator
// log says. Clients are gtk-vnc (libgvnc), the RFB/SASL test client from
// tests/support (to force what gtk-vnc never sends), or a raw socket.
#include <glib.h>
#include <gtest/gtest.h>

#include <regex>

#include "gateway_test.h"
#include "raw_socket.h"
#include "rfb_test_client.h"
#include "wait.h"

namespace vncgate::it {
namespace {

using vncgate::testing::printable;
using vncgate::testing::RfbSaslTestClient;
using vncgate::testing::SaslClientOptions;

class RefusalTest : public GatewayTest {};

std::string field(const AuditRecord &a, const std::string &key) {
  auto it = a.find(key);
  return it == a.end() ? std::string("<missing>") : it->second;
}

TEST_F(RefusalTest, WrongPassword) {
  add_static_console("static1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  GvncClient client(via_gateway("static1", "alice", "not-the-password"));
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(client.wait_settled(10s)) << client.describe();
  ASSERT_TRUE(client.wait_disconnected(10s))
      << "the daemon left the client hanging: " << client.describe();
  EXPECT_FALSE(client.initialized()) << client.describe();
  // gtk-vnc reads the failed SecurityResult and reports its reason.
  EXPECT_TRUE(client.auth_failed()) << client.describe();
  EXPECT_FALSE(client.auth_failure_reason().empty()) << client.describe();
  EXPECT_EQ(client.auth_failure_reason().find("not-the-password"), std::string::npos);

  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit);
  EXPECT_EQ(field(*audit, "end"), "authentication failed") << to_string(*audit);
  EXPECT_EQ(field(*audit, "console"), "static1") << to_string(*audit);
  EXPECT_EQ(field(*audit, "mechanism"), "DIGEST-MD5") << to_string(*audit);
  EXPECT_EQ(daemon_.log().find("not-the-password"), std::string::npos)
      << "a password reached the log";
}

TEST_F(RefusalTest, MechanismWithoutSecurityLayerOnPlainTcp) {
  add_static_console("static1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());  // min-ssf=56, mech_list digest-md5 scram-sha-256

  RfbSaslTestClient client(5000);
  ASSERT_TRUE(client.connect("127.0.0.1", daemon_.gateway_port())) << client.error();
  ASSERT_EQ(client.http_connect("/console/static1"), 200) << client.error();
  ASSERT_TRUE(client.exchange_version(8)) << client.error();
  auto types = client.read_security_types();
  ASSERT_TRUE(types) << client.error();
  EXPECT_EQ(*types, std::vector<uint8_t>{20});
  ASSERT_TRUE(client.choose_security_type(20)) << client.error();
  auto mechlist = client.read_sasl_mechlist();
  ASSERT_TRUE(mechlist) << client.error();
  // Only mechanisms that can give SSF >= 56 are offered on plain TCP.
  EXPECT_NE(mechlist->find("DIGEST-MD5"), std::string::npos) << *mechlist;
  EXPECT_EQ(mechlist->find("SCRAM"), std::string::npos) << *mechlist;

  // Try SCRAM-SHA-256 (SSF 0) anyway, as a client that ignores the offer.
  SaslClientOptions options;
  options.authname = "alice";
  options.password = kAlicePassword;
  options.min_ssf = 0;
  options.max_ssf = 0;
  options.force_mechlist = "SCRAM-SHA-256";
  auto outcome = client.sasl_authenticate_with(options, *mechlist);
  EXPECT_EQ(outcome.mechanism, "SCRAM-SHA-256");
  EXPECT_FALSE(outcome.ok) << "the daemon accepted SCRAM-SHA-256 without a security layer";
  ASSERT_FALSE(outcome.peer_closed) << "closed without a SecurityResult: " << outcome.error;
  auto result = client.read_security_result();
  ASSERT_TRUE(result) << client.error();
  EXPECT_FALSE(result->ok());
  EXPECT_FALSE(result->reason.empty());
  EXPECT_TRUE(client.wait_closed(5000)) << "not closed after the failed SecurityResult";

  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit);
  EXPECT_EQ(field(*audit, "ssf"), "0") << to_string(*audit);
  EXPECT_TRUE(
      std::regex_search(field(*audit, "end"), std::regex("authentication failed|protocol error")))
      << to_string(*audit);
  EXPECT_NE(field(*audit, "end"), "client closed") << to_string(*audit);
  SCOPED_TRACE("SecurityResult reason: " + printable(result->reason));
}

TEST_F(RefusalTest, UnknownConsoleIs404) {
  add_static_console("static1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  RawSocket s;
  std::string error, received;
  ASSERT_TRUE(s.connect(daemon_.gateway_port(), error)) << error;
  ASSERT_TRUE(s.send("CONNECT /console/no-such-console HTTP/1.1\r\n\r\n", error)) << error;
  RawSocket::End end = s.read_until_closed(received, 5000);
  EXPECT_TRUE(received.starts_with("HTTP/1.1 404 ")) << printable(received);
  EXPECT_NE(end, RawSocket::End::Open) << "still open after the 404: " << printable(received);
  EXPECT_EQ(received.find("RFB"), std::string::npos);

  EXPECT_LOG(daemon_, "no-such-console", 5s);
  auto audit = daemon_.wait_for_audit(5s);
  ASSERT_TRUE(audit);
  EXPECT_EQ(field(*audit, "user"), "-") << to_string(*audit);
}

TEST_F(RefusalTest, MalformedPreambleIs400) {
  add_static_console("static1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  for (const char *request : {"GET /console/static1 HTTP/1.1\r\n\r\n",
                              "CONNECT /console/static1 SPDY/3\r\n\r\n", "CONNECT\r\n\r\n"}) {
    SCOPED_TRACE(printable(request));
    RawSocket s;
    std::string error, received;
    ASSERT_TRUE(s.connect(daemon_.gateway_port(), error)) << error;
    ASSERT_TRUE(s.send(request, error)) << error;
    RawSocket::End end = s.read_until_closed(received, 5000);
    EXPECT_TRUE(received.starts_with("HTTP/1.1 400 ")) << printable(received);
    EXPECT_NE(end, RawSocket::End::Open);
  }
}

TEST_F(RefusalTest, ClientOutsideAllowListIsClosedBeforeAnyByte) {
  add_static_console("static1");
  const uint16_t dedicated = free_loopback_port();
  console_key("static1", "port", std::to_string(dedicated));
  // Loopback is not in the list; the test still only ever connects from
  // 127.0.0.1 (no traffic to 10.x).
  daemon_.config().set("gateway", "allowed-clients", "10.0.0.0/8");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  for (uint16_t port : {daemon_.gateway_port(), dedicated}) {
    SCOPED_TRACE("port " + std::to_string(port));
    RawSocket s;
    std::string error, received;
    ASSERT_TRUE(s.connect(port, error)) << error;  // the kernel accepts
    // Sent or not, nothing is read: the daemon must close without a byte
    // (not even the dedicated port's RFB version greeting).
    s.send("CONNECT /console/static1 HTTP/1.1\r\n\r\n", error);
    RawSocket::End end = s.read_until_closed(received, 5000);
    EXPECT_TRUE(end == RawSocket::End::Eof || end == RawSocket::End::Reset) << to_string(end);
    EXPECT_EQ(received, "") << printable(received);
  }
  EXPECT_LOG(daemon_, "refused connection from 127\\.0\\.0\\.1.*not in allowed-clients", 5s);
  EXPECT_EQ(daemon_.count_log(std::regex("refused connection from 127\\.0\\.0\\.1")), 2)
      << daemon_.log();
  EXPECT_EQ(daemon_.count_log(std::regex("authenticated as")), 0);
}

TEST_F(RefusalTest, SilentClientsAreCutAtHandshakeTimeout) {
  add_static_console("static1");
  const uint16_t dedicated = free_loopback_port();
  console_key("static1", "port", std::to_string(dedicated));
  daemon_.config().set("gateway", "handshake-timeout", "2");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  // Three stalled clients at once: silent on the gateway port, half a
  // CONNECT line, and silent after the dedicated port's version greeting.
  RawSocket silent, half, greeted;
  std::string error;
  ASSERT_TRUE(silent.connect(daemon_.gateway_port(), error)) << error;
  ASSERT_TRUE(half.connect(daemon_.gateway_port(), error)) << error;
  ASSERT_TRUE(half.send("CONNECT /console/sta", error)) << error;
  ASSERT_TRUE(greeted.connect(dedicated, error)) << error;
  const auto start = Clock::now();

  std::string from_silent, from_half, from_greeted;
  RawSocket::End e1 = silent.read_until_closed(from_silent, 10000);
  RawSocket::End e2 = half.read_until_closed(from_half, 8000);
  RawSocket::End e3 = greeted.read_until_closed(from_greeted, 8000);
  const double waited = elapsed_ms(start);

  EXPECT_NE(e1, RawSocket::End::Open) << "silent client not cut";
  EXPECT_NE(e2, RawSocket::End::Open) << "half-CONNECT client not cut";
  EXPECT_NE(e3, RawSocket::End::Open) << "silent RFB client not cut";
  // GLib's second-granularity timers may fire up to 250 ms early.
  EXPECT_GE(waited, 1700) << "cut before the 2 s handshake timeout";
  EXPECT_LE(waited, 5000) << "cut long after the 2 s handshake timeout";
  EXPECT_EQ(from_silent, "") << printable(from_silent);
  EXPECT_EQ(from_greeted.substr(0, 12), "RFB 003.008\n") << printable(from_greeted);

  ASSERT_TRUE(daemon_.wait_for_audit(5s, 3)) << daemon_.log();
  for (const auto &a : daemon_.audits())
    EXPECT_EQ(field(a, "end"), "handshake timeout") << to_string(a);
}

TEST_F(RefusalTest, UserNotInAllowedUsers) {
  add_static_console("bobs");
  console_key("bobs", "allowed-users", "bob");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  GvncClient alice(via_gateway("bobs", "alice", kAlicePassword));
  std::string error;
  ASSERT_TRUE(alice.open(error)) << error;
  ASSERT_TRUE(alice.wait_settled(10s)) << alice.describe();
  ASSERT_TRUE(alice.wait_disconnected(10s)) << alice.describe();
  EXPECT_FALSE(alice.initialized()) << alice.describe();
  EXPECT_TRUE(alice.auth_failed()) << alice.describe();
  EXPECT_FALSE(alice.auth_failure_reason().empty()) << alice.describe();

  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit);
  EXPECT_EQ(field(*audit, "end"), "not authorized") << to_string(*audit);
  EXPECT_TRUE(std::regex_match(field(*audit, "user"), std::regex("alice(@VNCGATE\\.TEST)?")))
      << to_string(*audit);
  EXPECT_EQ(field(*audit, "console"), "bobs") << to_string(*audit);

  // Bob, who is listed, gets in.
  GvncClient bob(via_gateway("bobs", "bob", kBobPassword));
  ASSERT_TRUE(bob.open(error)) << error;
  EXPECT_TRUE(bob.wait_full_update(10s)) << bob.describe();
}

TEST_F(RefusalTest, HostileUserNameReachesTheLogAsValidUtf8) {
  add_static_console("static1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  // Not UTF-8, a line separator and a newline in the name of a failed login.
  const std::string hostile =
      "al\xff\xfeice\xe2\x80\xa8"
      "forged\nline";
  RfbSaslTestClient client(5000);
  ASSERT_TRUE(client.connect("127.0.0.1", daemon_.gateway_port())) << client.error();
  ASSERT_EQ(client.http_connect("/console/static1"), 200) << client.error();
  ASSERT_TRUE(client.exchange_version(8)) << client.error();
  ASSERT_TRUE(client.read_security_types()) << client.error();
  ASSERT_TRUE(client.choose_security_type(20)) << client.error();
  auto mechlist = client.read_sasl_mechlist();
  ASSERT_TRUE(mechlist) << client.error();
  SaslClientOptions options;
  options.authname = hostile;
  options.password = "wrong";
  options.min_ssf = 56;
  auto outcome = client.sasl_authenticate_with(options, *mechlist);
  EXPECT_FALSE(outcome.ok);

  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit) << daemon_.log();
  const std::string log = daemon_.log();
  EXPECT_TRUE(g_utf8_validate(log.data(), static_cast<gssize>(log.size()), nullptr))
      << "the log is not valid UTF-8";
  EXPECT_EQ(log.find("\xe2\x80\xa8"), std::string::npos) << "U+2028 reached the log";
  EXPECT_EQ(log.find("\nline"), std::string::npos) << "the user name forged a log line";
  EXPECT_EQ(daemon_.count_log(std::regex("^line")), 0);
  // What the client sent stays visible, escaped.
  if (field(*audit, "user") != "-") {
    EXPECT_TRUE(field(*audit, "user").starts_with("al\\xff\\xfeice\\u2028forged\\x0aline"))
        << to_string(*audit);
  }
}

TEST_F(RefusalTest, Rfb33ClientIsRefusedWithReason) {
  add_static_console("static1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  RfbSaslTestClient client(5000);
  ASSERT_TRUE(client.connect("127.0.0.1", daemon_.gateway_port())) << client.error();
  ASSERT_EQ(client.http_connect("/console/static1"), 200) << client.error();
  ASSERT_TRUE(client.read_server_version()) << client.error();
  ASSERT_TRUE(client.send_client_version(3)) << client.error();
  auto type = client.read_security_type_v33();
  EXPECT_FALSE(type.has_value() && *type != 0) << "3.3 client was given type " << *type;
  EXPECT_FALSE(client.refusal_reason().empty()) << client.error();
  EXPECT_TRUE(client.wait_closed(5000));
}

}  // namespace
}  // namespace vncgate::it
