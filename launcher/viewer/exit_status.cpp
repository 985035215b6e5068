#include "exit_status.h"

#include <glib.h>
#include <glib/gi18n.h>

namespace vncgate::viewer {

int exit_code_for(Outcome outcome) {
  switch (outcome) {
    case Outcome::Closed:
    case Outcome::ScreenshotSaved:
    case Outcome::RaisedOther:
      return kExitOk;
    case Outcome::Usage:
    case Outcome::BadLink:
      return kExitUsage;
    default:
      return kExitFailure;
  }
}

std::string summary_for(Outcome outcome) {
  switch (outcome) {
    case Outcome::Closed:
      return _("The viewer was closed.");
    case Outcome::ScreenshotSaved:
      return _("The screenshot was saved.");
    case Outcome::RaisedOther:
      return _("This console is already open in another window; that window was raised.");
    case Outcome::Usage:
      return _("Invalid command line.");
    case Outcome::BadLink:
      return _("The console link is not valid.");
    case Outcome::ConnectFailed:
      return _("Could not connect to the gateway.");
    case Outcome::GatewayRefused:
      return _("The gateway refused to open the console.");
    case Outcome::LinkUsedOrExpired:
      return _(
          "This console link has already been used or has expired. Open the console again from the "
          "web interface to get a new link.");
    case Outcome::LinkOtherUser:
      return _(
          "This console link belongs to another user. Open the console from your own session in "
          "the web interface.");
    case Outcome::NotAuthorized:
      return _("You are not allowed to open this console. Ask your administrator for access.");
    case Outcome::GatewayProtocol:
      return _("The gateway did not answer as expected.");
    case Outcome::AuthFailed:
      return _("Login failed: the user name or password was not accepted.");
    case Outcome::SingleSignOnFailed:
      return _(
          "Single sign-on failed: the Kerberos login was not accepted. Check your ticket (klist) "
          "or get one (kinit).");
    case Outcome::ConsoleUnavailable:
      return _(
          "You are logged in, but the console could not be opened on the host. Try again later.");
    case Outcome::AuthCancelled:
      return _("Login was cancelled.");
    case Outcome::AuthUnsupported:
      return _("The server offers no security type this viewer accepts.");
    case Outcome::TlsFailed:
      return _("The secure (TLS) connection failed; the server's certificate may not be trusted.");
    case Outcome::Disconnected:
      return _("The connection to the console was closed.");
    case Outcome::ScreenshotFailed:
      return _("The screenshot could not be saved.");
    case Outcome::DisplayUnavailable:
      return _("Cannot open a window: no display is available.");
  }
  return {};
}

std::string stderr_line(Outcome outcome, const std::string &detail) {
  std::string line = "vncgate-viewer: " + summary_for(outcome);
  if (!detail.empty()) line += " (" + detail + ")";
  return line;
}

Outcome classify_vnc_error(const std::string &message) {
  gchar *lower = g_ascii_strdown(message.c_str(), -1);
  std::string m = lower;
  g_free(lower);
  for (const char *needle : {"tls", "certificate", "x509", "handshake", "gnutls"})
    if (m.find(needle) != std::string::npos) return Outcome::TlsFailed;
  return Outcome::Disconnected;
}

Outcome classify_auth_failure(const std::string &reason, Outcome login_failure) {
  if (reason == "this console link belongs to another user") return Outcome::LinkOtherUser;
  if (reason == "user is not authorized for this console") return Outcome::NotAuthorized;
  return reason.starts_with("the console ") ? Outcome::ConsoleUnavailable : login_failure;
}

Outcome classify_connect_status(int http_status, bool sent_token) {
  switch (http_status) {
    case 404:
      return sent_token ? Outcome::LinkUsedOrExpired : Outcome::GatewayRefused;
    case 401:
    case 403:
      return Outcome::NotAuthorized;
    default:
      return Outcome::GatewayRefused;
  }
}

bool retry_can_help(Outcome outcome) {
  switch (outcome) {
    case Outcome::LinkUsedOrExpired:
    case Outcome::LinkOtherUser:
    case Outcome::BadLink:
    case Outcome::Usage:
    case Outcome::AuthUnsupported:
      return false;
    default:
      return true;
  }
}

}  // namespace vncgate::viewer
