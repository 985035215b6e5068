// The viewer's window: a menu bar (Console: reconnect, screenshot, close;
// View: full screen, scaling; Send Key: Ctrl+Alt+Del and other combos),
// the console, an info bar for a dropped connection (Reconnect) and a
// status line naming the security in use. It drives ConsoleSession,
// answers login requests (dialog or the environment hook), and decides
// when the viewer ends and why.
#pragma once

#include <gtk/gtk.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "console_session.h"
#include "exit_status.h"
#include "options.h"

namespace vncgate::viewer {

class ViewerWindow {
 public:
  explicit ViewerWindow(const ViewerOptions &options);
  ~ViewerWindow();
  ViewerWindow(const ViewerWindow &) = delete;
  ViewerWindow &operator=(const ViewerWindow &) = delete;

  void start();
  void present();  // "raise" from another viewer or the launcher
  void close();    // as if the user closed the window (SIGTERM)

  // Valid once the main loop has been quit.
  Outcome outcome() const { return outcome_; }
  const std::string &message() const { return message_; }
  const std::string &detail() const { return detail_; }

 private:
  GtkWidget *build_menu();
  void connect_session(bool with_token, bool password_only = false);
  // After a failed single sign-on: one line, then the password dialog on
  // a connection that asks for password mechanisms. False when not wanted.
  bool fall_back_to_password(const SessionEnd &e);
  // Why the dialog asks for a password although Kerberos may be in use.
  std::string password_notice() const;
  void drop_session();
  void set_status(const std::string &text);
  void toggle_fullscreen();
  void finish(Outcome o, const std::string &message, const std::string &detail);
  // With --report-state: the launcher's answer (link/viewer_report.h), once.
  void report_connected();
  void report_failed(const std::string &message, const std::string &detail);
  void on_initialized();
  void on_full_update();
  void on_ended(const SessionEnd &e);
  void handle_end(const SessionEnd &e);
  std::optional<Credentials> on_credentials(const CredentialRequest &req);
  void show_lost_bar(const std::string &text);
  void save_screenshot_dialog();
  bool save_screenshot(const std::string &path, std::string &error);
  void send_keys(std::vector<guint> keys);
  std::string window_title() const;

  static void on_action(GtkMenuItem *item, gpointer self);
  static gboolean on_delete(GtkWidget *, GdkEvent *, gpointer self);
  static gboolean on_key(GtkWidget *window, GdkEventKey *event, gpointer self);
  static gboolean on_window_state(GtkWidget *, GdkEventWindowState *e, gpointer self);
  static void on_bar_response(GtkInfoBar *, gint response, gpointer self);

  ViewerOptions options_;
  ConsoleLink link_;
  GtkWidget *window_;
  GtkWidget *menubar_ = nullptr;
  GtkWidget *bar_ = nullptr;
  GtkWidget *bar_label_ = nullptr;
  GtkWidget *area_ = nullptr;  // holds the session's display
  GtkWidget *status_ = nullptr;
  GtkWidget *scale_item_ = nullptr;
  GtkAccelGroup *accels_ = nullptr;
  std::unique_ptr<ConsoleSession> session_;
  std::vector<std::unique_ptr<ConsoleSession>> ended_sessions_;
  guint reap_id_ = 0;
  bool fullscreen_ = false;
  bool quitting_ = false;
  bool last_auth_failed_ = false;
  bool env_credentials_used_ = false;
  bool token_consumed_ = false;  // a login succeeded: the one-time token is gone
  bool reported_ = false;        // the launcher has had its report
  std::string last_username_;
  // Set by fall_back_to_password(): the dialog says it, retries keep to passwords.
  std::string sso_failure_;
  Outcome outcome_ = Outcome::Closed;
  std::string message_;
  std::string detail_;
};

}  // namespace vncgate::viewer
