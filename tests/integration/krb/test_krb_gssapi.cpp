// GSSAPI single sign-on through vncgated on plain TCP, with gtk-vnc and a
// real ticket cache from the test KDC: login without any credential
// prompt, a negotiated security layer (SSF >= 56) that hides ServerInit,
// authorization of the Kerberos principal (strip-realm on and off), clean
// failures for an empty, destroyed or expired ticket cache, and a wrong or
// missing keytab (start-up warning, clear failure reason, no crash).
#include <gtest/gtest.h>

#include <regex>

#include "krb_test.h"
#include "wait.h"

namespace vncgate::it {
namespace {

class KrbGssapiTest : public KrbGatewayTest {
 protected:
  // A GSSAPI login gtk-vnc could not even start (no usable ticket): it
  // fails on the client side, promptly, without asking for credentials,
  // and the daemon ends the session without authenticating anyone.
  void expect_client_side_failure(KrbVncClient &client, const std::string &why_pattern,
                                  size_t audit_number) {
    EXPECT_FALSE(client.initialized()) << client.describe();
    EXPECT_TRUE(client.auth_failed() || !client.errors().empty()) << client.describe();
    EXPECT_TRUE(client.wait_disconnected(10s)) << "gtk-vnc hangs: " << client.describe();
    EXPECT_TRUE(client.credential_requests().empty()) << client.describe();
    bool why_found = false;
    for (const auto &e : client.errors())
      if (std::regex_search(e, std::regex(why_pattern, std::regex::icase))) why_found = true;
    EXPECT_TRUE(why_found) << "no client error matching /" << why_pattern
                           << "/: " << client.describe();
    auto audit = daemon_.wait_for_audit(10s, audit_number);
    ASSERT_TRUE(audit) << "the daemon did not end the session";
    EXPECT_EQ(audit_value(*audit, "user"), "-") << to_string(*audit);
    EXPECT_EQ(audit_value(*audit, "bytes-to-client"), "0") << to_string(*audit);
    EXPECT_TRUE(daemon_.running()) << "vncgated died";
    EXPECT_EQ(daemon_.count_log(std::regex("authenticated as")), 0);
  }
};

TEST_F(KrbGssapiTest, SingleSignOnWithSecurityLayer) {
  XvncBackend &backend = add_static_console("krb1", 800, 600);
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  ASSERT_TRUE(kinit("alice"));

  KrbVncOptions options = krb_via_gateway("krb1");
  options.wire_tap = true;
  auto client = login(options, ccache("alice"));
  ASSERT_TRUE(client->initialized()) << client->describe();
  EXPECT_FALSE(client->asked_for_user_credentials())
      << "gtk-vnc asked for a user name or password: " << client->describe();
  EXPECT_TRUE(client->credential_requests().empty()) << client->describe();
  EXPECT_EQ(client->offered_types(), std::vector<unsigned>{20u}) << client->describe();
  EXPECT_EQ(client->width(), backend.width());
  EXPECT_EQ(client->height(), backend.height());
  EXPECT_EQ(client->desktop_name(), backend.desktop_name());
  ASSERT_TRUE(client->wait_full_update(15s)) << client->describe();
  EXPECT_GE(client->updated_area(), static_cast<uint64_t>(backend.width()) * backend.height());

  std::smatch m;
  auto line = daemon_.wait_for_log(
      std::regex(R"(authenticated as alice@TEST\.LOCAL with GSSAPI, SSF \d+)"), 5s);
  ASSERT_TRUE(line) << "no GSSAPI authentication line";
  ASSERT_TRUE(std::regex_search(*line, m, std::regex(R"(SSF (\d+))")));
  EXPECT_GE(std::stoi(m[1]), 56) << *line;

  // The offer is in clear; ServerInit (with the desktop name) and all that
  // follows went through the GSSAPI security layer.
  const std::string s2c = client->wire_server_to_client();
  const std::string c2s = client->wire_client_to_server();
  EXPECT_NE(s2c.find("GSSAPI"), std::string::npos) << "GSSAPI not in the offered mechanisms";
  EXPECT_EQ(s2c.find(backend.desktop_name()), std::string::npos)
      << "the desktop name went over the wire in clear";
  EXPECT_EQ(c2s.find(backend.desktop_name()), std::string::npos);

  // A second full update: the session keeps working through the layer.
  ASSERT_TRUE(client->refresh(10s)) << client->describe();

  client->close();
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit) << "no audit record after the session ended";
  EXPECT_EQ(audit_value(*audit, "user"), "alice@TEST.LOCAL") << to_string(*audit);
  EXPECT_EQ(audit_value(*audit, "mechanism"), "GSSAPI") << to_string(*audit);
  EXPECT_GE(std::atoi(audit_value(*audit, "ssf").c_str()), 56) << to_string(*audit);
  EXPECT_EQ(audit_value(*audit, "end"), "client closed") << to_string(*audit);
  EXPECT_EQ(audit_value(*audit, "console"), "krb1") << to_string(*audit);
  EXPECT_EQ(audit_value(*audit, "tls"), "") << to_string(*audit);
  EXPECT_EQ(daemon_.count_log(std::regex("keytab")), 0) << "unexpected keytab warning";
}

// strip-realm and allowed-users: how the principal becomes the user name
// that allowed-users matches.
struct AuthzCase {
  const char *name;
  const char *strip_realm;
  const char *allowed_users;
  const char *alice_user;  // user name in the log and audit
  const char *bob_user;
};

void PrintTo(const AuthzCase &c, std::ostream *os) {
  *os << c.name << " (strip-realm=" << c.strip_realm << ", allowed-users=" << c.allowed_users
      << ")";
}

class KrbAuthorizationTest : public KrbGatewayTest,
                             public ::testing::WithParamInterface<AuthzCase> {};

TEST_P(KrbAuthorizationTest, AliceAllowedBobRefusedWithReason) {
  const AuthzCase &c = GetParam();
  add_static_console("krb1");
  console_key("krb1", "allowed-users", c.allowed_users);
  daemon_.config().set("sasl", "strip-realm", c.strip_realm);
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  ASSERT_TRUE(kinit("alice"));
  ASSERT_TRUE(kinit("bob"));

  auto alice = login(krb_via_gateway("krb1"), ccache("alice"));
  ASSERT_TRUE(alice->initialized()) << alice->describe();
  EXPECT_TRUE(alice->credential_requests().empty()) << alice->describe();
  EXPECT_TRUE(alice->wait_full_update(15s)) << alice->describe();
  alice->close();
  auto a = daemon_.wait_for_audit(10s, 1);
  ASSERT_TRUE(a);
  EXPECT_EQ(audit_value(*a, "user"), c.alice_user) << to_string(*a);
  EXPECT_EQ(audit_value(*a, "mechanism"), "GSSAPI") << to_string(*a);
  EXPECT_EQ(audit_value(*a, "end"), "client closed") << to_string(*a);

  auto bob = login(krb_via_gateway("krb1"), ccache("bob"));
  EXPECT_FALSE(bob->initialized()) << bob->describe();
  EXPECT_TRUE(bob->credential_requests().empty()) << bob->describe();
  EXPECT_TRUE(bob->auth_failed()) << bob->describe();
  EXPECT_EQ(bob->auth_failure_reason(), "user is not authorized for this console")
      << bob->describe();
  EXPECT_TRUE(bob->wait_disconnected(10s)) << bob->describe();
  const std::string bob_re = std::regex_replace(c.bob_user, std::regex(R"(\.)"), R"(\.)");
  EXPECT_LOG(daemon_,
             "not authorized for 127\\.0\\.0\\.1:\\d+ \\(user " + bob_re +
                 ", mechanism GSSAPI\\): user " + bob_re +
                 " is not in allowed-users of console krb1",
             5s);
  auto b = daemon_.wait_for_audit(10s, 2);
  ASSERT_TRUE(b);
  EXPECT_EQ(audit_value(*b, "user"), c.bob_user) << to_string(*b);
  EXPECT_EQ(audit_value(*b, "end"), "not authorized") << to_string(*b);
  EXPECT_EQ(audit_value(*b, "bytes-to-client"), "0") << to_string(*b);
}

INSTANTIATE_TEST_SUITE_P(
    StripRealm, KrbAuthorizationTest,
    ::testing::Values(AuthzCase{"StripOnBareName", "true", "alice", "alice", "bob"},
                      AuthzCase{"StripOffFullPrincipal", "false", "alice@TEST.LOCAL",
                                "alice@TEST.LOCAL", "bob@TEST.LOCAL"},
                      // A bare name also names that user in [sasl] realm.
                      AuthzCase{"StripOffBareName", "false", "alice", "alice@TEST.LOCAL",
                                "bob@TEST.LOCAL"}),
    [](const ::testing::TestParamInfo<AuthzCase> &info) { return info.param.name; });

TEST_F(KrbGssapiTest, EmptyOrDestroyedCcacheFailsCleanly) {
  add_static_console("krb1");
  set_mech_list("gssapi");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  // A ticket cache that was never filled.
  auto start = Clock::now();
  auto never = login(krb_via_gateway("krb1"), ccache("nobody"), 10s);
  EXPECT_LT(elapsed_ms(start), 10000) << never->describe();
  ASSERT_NO_FATAL_FAILURE(expect_client_side_failure(
      *never, "no (kerberos )?credentials|credentials cache .*not found", 1));

  // A ticket cache emptied with kdestroy.
  ASSERT_TRUE(kinit("alice"));
  CommandResult r = run_command(kdc().command({"kdestroy", "-c", ccache("alice")}), "", 10s);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  start = Clock::now();
  auto destroyed = login(krb_via_gateway("krb1"), ccache("alice"), 10s);
  EXPECT_LT(elapsed_ms(start), 10000) << destroyed->describe();
  ASSERT_NO_FATAL_FAILURE(expect_client_side_failure(
      *destroyed, "no (kerberos )?credentials|credentials cache .*not found", 2));
}

TEST_F(KrbGssapiTest, ExpiredTicketFailsCleanly) {
  add_static_console("krb1");
  set_mech_list("gssapi");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  ASSERT_TRUE(kinit("alice", "2s"));
  ASSERT_TRUE(wait_until([&] { return !kdc().ccache_valid(ccache("alice")); }, 15s, 100ms))
      << "the 2 s ticket did not expire:\n"
      << kdc().klist(ccache("alice"));
  auto start = Clock::now();
  auto client = login(krb_via_gateway("krb1"), ccache("alice"), 10s);
  EXPECT_LT(elapsed_ms(start), 10000) << client->describe();
  ASSERT_NO_FATAL_FAILURE(expect_client_side_failure(*client, "expired", 1));
}

TEST_F(KrbGssapiTest, WrongKeytabWarnsAtStartAndFailsClearly) {
  add_static_console("krb1");
  daemon_.config().set("sasl", "keytab", kdc().wrong_keytab());
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  EXPECT_LOG(daemon_,
             "keytab " + kdc().wrong_keytab() +
                 " holds no key for vnc/<host>@REALM \\(\\d+ entries\\): GSSAPI logins will fail",
             5s);

  ASSERT_TRUE(kinit("alice"));
  auto client = login(krb_via_gateway("krb1"), ccache("alice"));
  EXPECT_FALSE(client->initialized()) << client->describe();
  EXPECT_TRUE(client->credential_requests().empty()) << client->describe();
  EXPECT_TRUE(client->auth_failed()) << client->describe();
  EXPECT_TRUE(client->wait_disconnected(10s)) << client->describe();
  // The operator sees why: the acceptor found no key for the ticket.
  auto line = daemon_.wait_for_log(
      std::regex(
          R"(authentication failed for 127\.0\.0\.1:\d+ \(user [^,]*, mechanism GSSAPI\): .+)"),
      5s);
  ASSERT_TRUE(line) << "no authentication failure line";
  EXPECT_TRUE(std::regex_search(
      *line, std::regex("key ?tab|No key table entry|not found", std::regex::icase)))
      << "the failure does not name the keytab problem: " << *line;
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit);
  EXPECT_EQ(audit_value(*audit, "end"), "authentication failed") << to_string(*audit);
  EXPECT_EQ(audit_value(*audit, "mechanism"), "GSSAPI") << to_string(*audit);
  EXPECT_TRUE(daemon_.running()) << "vncgated died";
}

// Cyrus' GSSAPI plugin does not load when its keytab is unreadable: GSSAPI
// is not offered at all, so gtk-vnc falls back to the password mechanism.
TEST_F(KrbGssapiTest, UnreadableKeytabWarnsAndGssapiIsNotOffered) {
  add_static_console("krb1");
  const std::string missing = dir_.file("missing.keytab");
  daemon_.config().set("sasl", "keytab", missing);
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  EXPECT_LOG(daemon_, "keytab " + missing + " is not readable: GSSAPI logins will fail", 5s);

  ASSERT_TRUE(kinit("alice"));
  KrbVncOptions options = krb_via_gateway("krb1");
  options.wire_tap = true;
  auto client = login(options, ccache("alice"));
  const std::string s2c = client->wire_server_to_client();
  ASSERT_GE(s2c.size(), 18u) << client->describe();
  // Version (12), one type (2), then the mechanism list.
  EXPECT_EQ(s2c.substr(14, 4 + 10), std::string("\0\0\0\x0a"
                                                "DIGEST-MD5",
                                                14))
      << "expected only DIGEST-MD5 on offer: " << client->describe();
  EXPECT_TRUE(client->asked_for_user_credentials()) << client->describe();
  EXPECT_TRUE(client->initialized()) << client->describe();
  client->close();
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit);
  EXPECT_EQ(audit_value(*audit, "mechanism"), "DIGEST-MD5") << to_string(*audit);
  EXPECT_TRUE(daemon_.running()) << "vncgated died";
}

}  // namespace
}  // namespace vncgate::it
