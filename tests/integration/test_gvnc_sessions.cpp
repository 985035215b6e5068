// Successful sessions with gtk-vnc (libgvnc) as the client: DIGEST-MD5
// from a private sasldb, through the gateway port (HTTP CONNECT) and
// through a dedicated console port. Initialization completes, a
// framebuffer update covers the backend's whole screen, the SASL security
// layer is on (SSF > 0 in the audit record) and the desktop name from
// ServerInit never crosses the client-side wire in clear.
#include <gtest/gtest.h>

#include <regex>

#include "gateway_test.h"
#include "raw_socket.h"

namespace vncgate::it {
namespace {

class GvncSessionTest : public GatewayTest {};

// Checks the audit record of one successful, client-closed session.
void expect_good_audit(const AuditRecord &a, const std::string &console) {
  EXPECT_EQ(a.count("console") ? a.at("console") : "", console) << to_string(a);
  EXPECT_TRUE(
      std::regex_match(a.count("user") ? a.at("user") : "", std::regex("alice(@VNCGATE\\.TEST)?")))
      << to_string(a);
  EXPECT_EQ(a.count("mechanism") ? a.at("mechanism") : "", "DIGEST-MD5") << to_string(a);
  int ssf = a.count("ssf") ? std::atoi(a.at("ssf").c_str()) : 0;
  EXPECT_GE(ssf, 56) << to_string(a);
  EXPECT_GT(std::atoll(a.count("bytes-to-client") ? a.at("bytes-to-client").c_str() : "0"), 0)
      << to_string(a);
  EXPECT_GT(std::atoll(a.count("bytes-from-client") ? a.at("bytes-from-client").c_str() : "0"), 0)
      << to_string(a);
  EXPECT_EQ(a.count("end") ? a.at("end") : "", "client closed") << to_string(a);
  EXPECT_TRUE(a.count("client") && a.at("client").find("127.0.0.1") != std::string::npos)
      << to_string(a);
}

TEST_F(GvncSessionTest, DigestMd5ThroughGatewayPort) {
  XvncBackend &backend = add_static_console("static1", 800, 600);
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  GvncOptions options = via_gateway("static1");
  options.wire_tap = true;
  options.raw_encoding = true;  // a whole screen of pixels through the layer
  GvncClient client(options);
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  EXPECT_EQ(client.http_status(), 200) << client.http_response();

  ASSERT_TRUE(client.wait_initialized(15s)) << client.describe();
  EXPECT_EQ(client.offered_auth_types(), std::vector<unsigned>{20u}) << client.describe();
  EXPECT_EQ(client.width(), backend.width());
  EXPECT_EQ(client.height(), backend.height());
  EXPECT_EQ(client.desktop_name(), backend.desktop_name());
  ASSERT_TRUE(client.wait_full_update(15s)) << client.describe();
  EXPECT_GE(client.updated_area(), static_cast<uint64_t>(backend.width()) * backend.height());

  // The name reached the client, but only through the security layer.
  const std::string s2c = client.wire_server_to_client();
  const std::string c2s = client.wire_client_to_server();
  ASSERT_TRUE(s2c.starts_with("RFB 003.008\n")) << s2c.substr(0, 12);
  EXPECT_EQ(s2c.find(backend.desktop_name()), std::string::npos)
      << "the desktop name went over the wire in clear";
  EXPECT_EQ(c2s.find(backend.desktop_name()), std::string::npos);
  // A whole 800x600 screen of raw pixels crossed the wire.
  const size_t screen_bytes = static_cast<size_t>(backend.width()) * backend.height() * 4;
  EXPECT_GT(s2c.size(), screen_bytes);

  client.close();
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit) << "no audit record after the session ended";
  expect_good_audit(*audit, "static1");
  EXPECT_GT(std::atoll((*audit)["bytes-to-client"].c_str()), static_cast<long long>(screen_bytes))
      << to_string(*audit);
}

TEST_F(GvncSessionTest, DigestMd5ThroughDedicatedConsolePort) {
  const int lpar = 7;
  fake_.set_geometry(lpar, 640, 480);
  fake_.set_desktop(lpar, unique_desktop_name("lpar-7"));
  add_lpar_console("lpar7", lpar);
  const uint16_t port = free_loopback_port();
  console_key("lpar7", "port", std::to_string(port));
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  GvncOptions options = via_port(port);
  options.wire_tap = true;
  GvncClient client(options);
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(client.wait_initialized(20s)) << client.describe();
  EXPECT_EQ(client.offered_auth_types(), std::vector<unsigned>{20u});
  EXPECT_EQ(client.width(), 640);
  EXPECT_EQ(client.height(), 480);
  const std::string desktop = read_file(fake_.dir() + "/lpar-7.desktop");
  EXPECT_EQ(client.desktop_name() + "\n", desktop);
  ASSERT_TRUE(client.wait_full_update(15s)) << client.describe();

  const std::string s2c = client.wire_server_to_client();
  ASSERT_TRUE(s2c.starts_with("RFB 003.008\n"));
  EXPECT_EQ(s2c.find(client.desktop_name()), std::string::npos)
      << "the desktop name went over the wire in clear";
  EXPECT_EQ(fake_.mkvterm_calls(lpar), 1);
  EXPECT_TRUE(fake_.vterm_open(lpar));

  client.close();
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit);
  expect_good_audit(*audit, "lpar7");
}

TEST_F(GvncSessionTest, TwoSessionsShareOneVterm) {
  const int lpar = 12;
  add_lpar_console("shared", lpar);
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  GvncClient first(via_gateway("shared"));
  std::string error;
  ASSERT_TRUE(first.open(error)) << error;
  ASSERT_TRUE(first.wait_full_update(20s)) << first.describe();

  GvncClient second(via_gateway("shared", "bob", kBobPassword));
  ASSERT_TRUE(second.open(error)) << error;
  ASSERT_TRUE(second.wait_full_update(20s)) << second.describe();
  // The first session still works while the second one is open.
  EXPECT_TRUE(first.refresh(10s)) << first.describe();
  EXPECT_EQ(fake_.mkvterm_calls(lpar), 1);

  first.close();
  second.close();
  ASSERT_TRUE(daemon_.wait_for_audit(10s, 2));
}

}  // namespace
}  // namespace vncgate::it
