// Login credentials for the console: a dialog asking for user name and
// password, or (test and automation hook, documented in --help) the
// environment: VNCGATE_VIEWER_USERNAME and VNCGATE_VIEWER_PASSWORD_FILE, a
// file holding the password (one line; a trailing newline is dropped). The
// password itself is never taken from the environment or a link.
#pragma once

#include <gtk/gtk.h>

#include <optional>
#include <string>

namespace vncgate::viewer {

struct Credentials {
  std::string username;
  std::string password;
};

inline constexpr size_t kMaxPasswordFile = 4096;

// nullopt when the hook is not in use; `error` set when it is, but broken.
std::optional<Credentials> credentials_from_environment(std::string &error);

struct CredentialRequest {
  std::string where;     // "vncgate://gw:5901/console/lpar7"
  std::string username;  // prefilled
  bool need_username = true;
  bool need_password = true;
  std::string notice;  // e.g. "The last login failed. Try again." (may be empty)
};

// Modal dialog (runs a nested main loop); nullopt when cancelled.
std::optional<Credentials> ask_credentials(GtkWindow *parent, const CredentialRequest &request);

// Modal error dialog with "Try again" and "Close"; true for "Try again".
// Without `can_retry` only "Close" is offered.
bool ask_retry(GtkWindow *parent, const std::string &message, const std::string &detail,
               bool can_retry);

// Answers the dialog now running (if any) with "Cancel"/"Close", so the
// viewer can end while a dialog is open (SIGTERM).
void cancel_running_dialog();

}  // namespace vncgate::viewer
