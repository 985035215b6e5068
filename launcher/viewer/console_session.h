// One connection to a console: the viewer's own socket (GatewayJob: TCP,
// CONNECT preamble) handed to a gtk-vnc VncDisplay with the gateway's host
// name, so SASL asks for vnc/<host> and TLS checks that name. The session
// picks the security type itself (security_choice.h) in place of gtk-vnc's
// default choice, so it knows what is in use; asks for credentials through
// the window; and reports how it ended. A reconnect is a new session.
#pragma once

#include <gtk/gtk.h>

#include <functional>
#include <optional>
#include <string>

#include "credentials.h"
#include "exit_status.h"
#include "gateway_connection.h"
#include "kerberos_ticket.h"
#include "link/console_link.h"

typedef struct _VncConnection VncConnection;

namespace vncgate::viewer {

struct SessionEnd {
  Outcome outcome = Outcome::Disconnected;
  std::string message;  // user sentence
  std::string detail;   // technical detail, may be empty
  bool was_initialized = false;
};

struct SessionEvents {
  std::function<void(const std::string &)> status;  // progress for the status line
  std::function<void()> initialized;                // console on screen
  std::function<void()> full_update;                // first update covering the screen
  std::function<void(const SessionEnd &)> ended;    // called once; the session may be deleted then
  std::function<std::optional<Credentials>(const CredentialRequest &)> credentials;
};

class ConsoleSession {
 public:
  ConsoleSession(const ConsoleLink &link, SessionEvents events);
  ~ConsoleSession();
  ConsoleSession(const ConsoleSession &) = delete;
  ConsoleSession &operator=(const ConsoleSession &) = delete;

  GtkWidget *display() const { return display_; }
  // For a console link, first checks the Kerberos ticket and asks the
  // gateway for Kerberos only when single sign-on can work, else for
  // password mechanisms only; `password_only` skips the check (the
  // fallback after a failed single sign-on).
  void open(bool with_token, bool password_only = false);
  // Ends the session (reported as Closed).
  void close();

  bool is_initialized() const { return initialized_; }
  // What the CONNECT asked for, and why single sign-on was not tried.
  AuthHint auth_hint() const { return hint_; }
  const TicketCheck &ticket() const { return ticket_; }
  // "SASL: ..." once the security type is known (security_choice.h).
  std::string security() const;
  int width() const;
  int height() const;
  std::string desktop_name() const;

 private:
  void connect_gateway(bool with_token);
  void on_gateway(GatewayResult r);
  void end(SessionEnd e);
  static void on_choose_type(VncConnection *, GValueArray *types, gpointer self);
  static void on_choose_subtype(VncConnection *, unsigned type, GValueArray *subtypes,
                                gpointer self);
  static void on_update(VncConnection *, int x, int y, int w, int h, gpointer self);
  static void on_connected(GtkWidget *, gpointer self);
  static void on_initialized(GtkWidget *, gpointer self);
  static void on_credential(GtkWidget *, GValueArray *creds, gpointer self);
  static void on_auth_failure(GtkWidget *, const char *reason, gpointer self);
  static void on_auth_unsupported(GtkWidget *, unsigned type, gpointer self);
  static void on_error(GtkWidget *, const char *message, gpointer self);
  static void on_disconnected(GtkWidget *, gpointer self);

  ConsoleLink link_;
  SessionEvents events_;
  GtkWidget *display_;  // VncDisplay (a reference of ours)
  VncConnection *conn_ = nullptr;
  GatewayJob *job_ = nullptr;
  GCancellable *ticket_check_;  // cancelled when the session goes first
  AuthHint hint_ = AuthHint::None;
  TicketCheck ticket_;
  bool initialized_ = false;
  bool ended_ = false;
  bool closing_ = false;
  bool auth_cancelled_ = false;
  bool asked_password_ = false;
  bool auth_failed_ = false;
  std::string auth_failure_;
  std::string unsupported_;
  std::string error_;
  unsigned type_ = 0;
  unsigned subtype_ = 0;
  // First full update: union of the updated rectangles and their area.
  bool full_update_seen_ = false;
  unsigned long long area_ = 0;
  int ux0_ = 0, uy0_ = 0, ux1_ = 0, uy1_ = 0;
};

}  // namespace vncgate::viewer
