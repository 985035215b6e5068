// Exit codes and stderr lines the launcher reports to the user.
#include "exit_status.h"

#include <gtest/gtest.h>

#include <vector>

#include "link/viewer_report.h"

namespace vncgate::viewer {
namespace {

TEST(ExitStatus, CodesFollowTheContract) {
  EXPECT_EQ(exit_code_for(Outcome::Closed), 0);
  EXPECT_EQ(exit_code_for(Outcome::ScreenshotSaved), 0);
  EXPECT_EQ(exit_code_for(Outcome::RaisedOther), 0);
  EXPECT_EQ(exit_code_for(Outcome::Usage), 2);
  EXPECT_EQ(exit_code_for(Outcome::BadLink), 2);
  for (Outcome o : {Outcome::ConnectFailed, Outcome::GatewayRefused, Outcome::GatewayProtocol,
                    Outcome::AuthFailed, Outcome::SingleSignOnFailed, Outcome::ConsoleUnavailable,
                    Outcome::AuthCancelled, Outcome::AuthUnsupported, Outcome::TlsFailed,
                    Outcome::Disconnected, Outcome::ScreenshotFailed, Outcome::DisplayUnavailable})
    EXPECT_EQ(exit_code_for(o), 1) << static_cast<int>(o);
}

TEST(ExitStatus, EveryOutcomeHasASentence) {
  for (int i = 0; i <= static_cast<int>(Outcome::DisplayUnavailable); ++i)
    EXPECT_FALSE(summary_for(static_cast<Outcome>(i)).empty()) << i;
}

TEST(ExitStatus, StderrLineCarriesDetail) {
  EXPECT_EQ(stderr_line(Outcome::AuthFailed, "Authentication failed"),
            "vncgate-viewer: Login failed: the user name or password was not accepted. "
            "(Authentication failed)");
  EXPECT_EQ(stderr_line(Outcome::BadLink, ""), "vncgate-viewer: The console link is not valid.");
}

TEST(ExitStatus, TlsErrorsAreRecognised) {
  EXPECT_EQ(classify_vnc_error("Unable to verify server certificate: not trusted"),
            Outcome::TlsFailed);
  EXPECT_EQ(classify_vnc_error("TLS handshake failed"), Outcome::TlsFailed);
  EXPECT_EQ(classify_vnc_error("Connection reset by peer"), Outcome::Disconnected);
}

TEST(ExitStatus, ConsoleFailuresAfterLoginAreNotLoginFailures) {
  // The gateway's reasons when the console cannot be opened after the login.
  for (const char *reason : {"the console could not be opened", "the console did not answer",
                             "the console is not reachable"})
    EXPECT_EQ(classify_auth_failure(reason, Outcome::AuthFailed), Outcome::ConsoleUnavailable)
        << reason;
  EXPECT_EQ(classify_auth_failure("authentication failed", Outcome::AuthFailed),
            Outcome::AuthFailed);
  EXPECT_EQ(classify_auth_failure("", Outcome::SingleSignOnFailed), Outcome::SingleSignOnFailed);
}

// Each refusal names its own cause (issue 16), not a login or Kerberos
// problem, and "Try Again" is offered only where it can help.
TEST(ExitStatus, RefusalsNameTheirCause) {
  EXPECT_EQ(classify_auth_failure("user is not authorized for this console", Outcome::AuthFailed),
            Outcome::NotAuthorized);
  EXPECT_EQ(classify_auth_failure("this console link belongs to another user",
                                  Outcome::SingleSignOnFailed),
            Outcome::LinkOtherUser);
  EXPECT_EQ(classify_connect_status(404, true), Outcome::LinkUsedOrExpired);
  EXPECT_EQ(classify_connect_status(404, false), Outcome::GatewayRefused);  // unknown console
  EXPECT_EQ(classify_connect_status(403, true), Outcome::NotAuthorized);
  EXPECT_EQ(classify_connect_status(401, false), Outcome::NotAuthorized);
  EXPECT_EQ(classify_connect_status(503, true), Outcome::GatewayRefused);
  EXPECT_EQ(classify_connect_status(400, true), Outcome::GatewayRefused);
  const std::vector<Outcome> distinct{Outcome::LinkUsedOrExpired,  Outcome::LinkOtherUser,
                                      Outcome::NotAuthorized,      Outcome::ConsoleUnavailable,
                                      Outcome::SingleSignOnFailed, Outcome::AuthFailed};
  for (Outcome a : distinct) {
    EXPECT_EQ(exit_code_for(a), 1);
    for (Outcome b : distinct) {
      if (a != b) {
        EXPECT_NE(summary_for(a), summary_for(b));
      }
    }
  }
  EXPECT_EQ(summary_for(Outcome::LinkOtherUser).find("Kerberos"), std::string::npos);
  EXPECT_FALSE(retry_can_help(Outcome::LinkUsedOrExpired));
  EXPECT_FALSE(retry_can_help(Outcome::LinkOtherUser));
  EXPECT_FALSE(retry_can_help(Outcome::AuthUnsupported));
  for (Outcome o : {Outcome::ConnectFailed, Outcome::AuthFailed, Outcome::SingleSignOnFailed,
                    Outcome::ConsoleUnavailable, Outcome::NotAuthorized, Outcome::Disconnected})
    EXPECT_TRUE(retry_can_help(o)) << static_cast<int>(o);
}

// The line the viewer writes for its launcher (link/viewer_report.h).
TEST(ViewerReport, RoundTripsAndIgnoresOtherLines) {
  EXPECT_EQ(format_viewer_report({}), "vncgate-viewer-state: connected");
  const std::string failed = format_viewer_report(
      {ViewerReport::State::Failed, "Login failed.\nsecond line\x01 (detail)"});
  EXPECT_EQ(failed, "vncgate-viewer-state: failed Login failed. second line  (detail)");
  auto r = parse_viewer_report(failed);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, ViewerReport::State::Failed);
  EXPECT_EQ(r->reason, "Login failed. second line  (detail)");
  EXPECT_FALSE(parse_viewer_report("vncgate-viewer: connected to x"));
  EXPECT_FALSE(parse_viewer_report("vncgate-viewer-state: connectedX"));
  EXPECT_FALSE(parse_viewer_report("vncgate-viewer-state: failedX"));
  EXPECT_FALSE(parse_viewer_report(" vncgate-viewer-state: connected"));
  EXPECT_TRUE(parse_viewer_report("vncgate-viewer-state: connected\r"));
  EXPECT_LE(format_viewer_report({ViewerReport::State::Failed, std::string(5000, 'x')}).size(),
            kViewerReportPrefix.size() + 7 + kMaxViewerReportReason);

  // Only complete lines count; `consumed` lets the reader continue later.
  size_t consumed = 0;
  const std::string log = "vncgate-viewer: connecting\nvncgate-viewer-state: conn";
  EXPECT_FALSE(find_viewer_report(log, consumed));
  EXPECT_EQ(consumed, std::string("vncgate-viewer: connecting\n").size());
  r = find_viewer_report(log.substr(consumed) + "ected\nmore\n", consumed);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, ViewerReport::State::Connected);
  EXPECT_EQ(consumed, std::string("vncgate-viewer-state: connected\n").size());
}

}  // namespace
}  // namespace vncgate::viewer
