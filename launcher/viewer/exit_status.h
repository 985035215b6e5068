// Why the viewer ends, and what that means for its exit code and the last
// line on stderr. The launcher shows "the viewer's exit reason and last
// error" from these, so every failure has one clear sentence.
//   0  normal end (window closed, screenshot saved, another viewer raised)
//   1  connection or authentication failure
//   2  bad link or bad usage
#pragma once

#include <string>

namespace vncgate::viewer {

enum class Outcome {
  Closed,              // the user closed the window
  ScreenshotSaved,     // --screenshot done
  RaisedOther,         // a viewer for this console was already running
  Usage,               // bad options
  BadLink,             // the link was refused by the parser
  ConnectFailed,       // TCP connection (or its timeout) failed
  GatewayRefused,      // CONNECT answered with a status other than 200 (and none below)
  LinkUsedOrExpired,   // CONNECT answered 404: the one-time link was used, expired or revoked
  LinkOtherUser,       // the login worked, but the link was minted for another user
  NotAuthorized,       // the login worked, but this user may not open this console (or 401/403)
  GatewayProtocol,     // the answer to CONNECT was not HTTP / too large / timed out
  AuthFailed,          // the server refused the login
  SingleSignOnFailed,  // a SASL login without password (Kerberos) failed
  ConsoleUnavailable,  // logged in, but the gateway could not open or reach the console
  AuthCancelled,       // the user cancelled the login dialog
  AuthUnsupported,     // no security type both sides accept
  TlsFailed,           // TLS handshake or certificate check failed
  Disconnected,        // the connection closed before or during the session
  ScreenshotFailed,    // the framebuffer could not be saved
  DisplayUnavailable,  // no X/Wayland display to show a window on
};

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

int exit_code_for(Outcome outcome);

// The first sentence for the user (translated), e.g. AuthFailed ->
// "Login failed: the user name or password was not accepted."
std::string summary_for(Outcome outcome);

// "vncgate-viewer: <summary>[ (<detail>)]", the line written to stderr.
std::string stderr_line(Outcome outcome, const std::string &detail);

// Sorts a gtk-vnc "vnc-error" message: TLS problems (handshake,
// certificate) become TlsFailed, anything else Disconnected.
Outcome classify_vnc_error(const std::string &message);

// Sorts the reason of a failed SecurityResult (daemon/session*.cpp):
//   "this console link belongs to another user"  LinkOtherUser
//   "user is not authorized for this console"    NotAuthorized
//   "the console ..." (could not be opened, did not answer, is not
//   reachable: the gateway opens the console only after the login)
//                                                 ConsoleUnavailable
// Anything else is `login_failure` (AuthFailed or SingleSignOnFailed).
Outcome classify_auth_failure(const std::string &reason, Outcome login_failure);

// The CONNECT answer's status as an outcome: 404 for a request with a
// token LinkUsedOrExpired (used, expired or revoked: the gateway says 404
// for all, and for an unknown console alike, so that neither can be
// probed); 401/403 NotAuthorized; anything else, and 404 without a token
// (no such console, perhaps not yet), GatewayRefused.
Outcome classify_connect_status(int http_status, bool sent_token);

// Whether "Try Again" can help: not for a link that can never work again
// (used, expired, another user's), a bad link, or a server that offers no
// usable security type.
bool retry_can_help(Outcome outcome);

}  // namespace vncgate::viewer
