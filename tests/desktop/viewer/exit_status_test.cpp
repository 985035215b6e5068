// Exit codes and stderr lines the launcher reports to the user.
#include "exit_status.h"

#include <gtest/gtest.h>

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
                    Outcome::AuthCancelled, Outcome::AuthUnsupported,
                    Outcome::TlsFailed, Outcome::Disconnected, Outcome::ScreenshotFailed,
                    Outcome::DisplayUnavailable})
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
  EXPECT_EQ(classify_auth_failure("authentication failed", Outcome::AuthFailed), Outcome::AuthFailed);
  EXPECT_EQ(classify_auth_failure("", Outcome::SingleSignOnFailed), Outcome::SingleSignOnFailed);
  EXPECT_EQ(classify_auth_failure("user is not authorized for this console", Outcome::AuthFailed),
            Outcome::AuthFailed);
}

}  // namespace
}  // namespace vncgate::viewer
