// GValueArray is deprecated in GLib but is what gtk-vnc's signals carry.
#define GLIB_DISABLE_DEPRECATION_WARNINGS 1

#include "console_session.h"

#include <glib/gi18n.h>
#include <gtk-vnc.h>

#include <algorithm>
#include <vector>

#include "security_choice.h"
#include "socket_fd.h"

namespace vncgate::viewer {

namespace {

std::vector<unsigned> enum_values(GValueArray *array) {
  std::vector<unsigned> out;
  for (guint i = 0; array && i < array->n_values; ++i)
    out.push_back(static_cast<unsigned>(g_value_get_enum(g_value_array_get_nth(array, i))));
  return out;
}

std::string join_names(const std::vector<unsigned> &types) {
  std::string s;
  for (unsigned t : types) s += (s.empty() ? "" : ", ") + security_name(t);
  return s.empty() ? std::string(_("none")) : s;
}

// Stops gtk-vnc's own handler of `signal` (VncDisplay connects one to its
// connection with the display as data), so ours alone decides.
void block_display_handler(VncConnection *conn, const char *signal, gpointer display) {
  guint id = g_signal_lookup(signal, G_OBJECT_TYPE(conn));
  if (!g_signal_handlers_block_matched(conn,
                                       GSignalMatchType(G_SIGNAL_MATCH_ID | G_SIGNAL_MATCH_DATA),
                                       id, 0, nullptr, nullptr, display))
    g_warning("gtk-vnc's %s handler was not found; its default choice may interfere", signal);
}

}  // namespace

ConsoleSession::ConsoleSession(const ConsoleLink &link, SessionEvents events)
    : link_(link),
      events_(std::move(events)),
      display_(vnc_display_new()),
      ticket_check_(g_cancellable_new()) {
  g_object_ref_sink(display_);
  g_object_get(display_, "connection", &conn_, nullptr);
  block_display_handler(conn_, "vnc-auth-choose-type", display_);
  block_display_handler(conn_, "vnc-auth-choose-subtype", display_);
  g_signal_connect(conn_, "vnc-auth-choose-type", G_CALLBACK(on_choose_type), this);
  g_signal_connect(conn_, "vnc-auth-choose-subtype", G_CALLBACK(on_choose_subtype), this);
  g_signal_connect(conn_, "vnc-framebuffer-update", G_CALLBACK(on_update), this);
  g_signal_connect(display_, "vnc-connected", G_CALLBACK(on_connected), this);
  g_signal_connect(display_, "vnc-initialized", G_CALLBACK(on_initialized), this);
  g_signal_connect(display_, "vnc-auth-credential", G_CALLBACK(on_credential), this);
  g_signal_connect(display_, "vnc-auth-failure", G_CALLBACK(on_auth_failure), this);
  g_signal_connect(display_, "vnc-auth-unsupported", G_CALLBACK(on_auth_unsupported), this);
  g_signal_connect(display_, "vnc-error", G_CALLBACK(on_error), this);
  g_signal_connect(display_, "vnc-disconnected", G_CALLBACK(on_disconnected), this);
  VncDisplay *d = VNC_DISPLAY(display_);
  vnc_display_set_read_only(d, link_.view_only);
  vnc_display_set_keep_aspect_ratio(d, TRUE);
  vnc_display_set_pointer_grab(d, TRUE);
  vnc_display_set_keyboard_grab(d, TRUE);
  vnc_display_set_shared_flag(d, TRUE);
}

ConsoleSession::~ConsoleSession() {
  g_cancellable_cancel(ticket_check_);
  g_object_unref(ticket_check_);
  if (job_) job_->cancel();
  g_signal_handlers_disconnect_by_data(conn_, this);
  g_signal_handlers_disconnect_by_data(display_, this);
  if (vnc_display_is_open(VNC_DISPLAY(display_))) vnc_display_close(VNC_DISPLAY(display_));
  g_object_unref(conn_);
  g_object_unref(display_);
}

void ConsoleSession::open(bool with_token, bool password_only) {
  gchar *m = g_strdup_printf(_("Connecting to %s…"), link_.display_name().c_str());
  if (events_.status) events_.status(m);
  g_free(m);
  if (link_.console.empty()) {  // a plain VNC server: no CONNECT, no hint
    connect_gateway(with_token);
    return;
  }
  if (password_only) {
    hint_ = AuthHint::Password;
    connect_gateway(with_token);
    return;
  }
  check_kerberos_ticket_async(link_.host, ticket_check_, [this, with_token](TicketCheck t) {
    using State = TicketCheck::State;
    hint_ = t.state == State::Usable      ? AuthHint::Kerberos
            : t.state == State::Unchecked ? AuthHint::None
                                          : AuthHint::Password;
    ticket_ = std::move(t);
    connect_gateway(with_token);
  });
}

void ConsoleSession::connect_gateway(bool with_token) {
  job_ = GatewayJob::start(link_, with_token, hint_, [this](GatewayResult r) {
    job_ = nullptr;
    on_gateway(std::move(r));
  });
}

void ConsoleSession::close() {
  closing_ = true;
  g_cancellable_cancel(ticket_check_);
  if (job_) {
    job_->cancel();
    job_ = nullptr;
  }
  if (vnc_display_is_open(VNC_DISPLAY(display_)))
    vnc_display_close(VNC_DISPLAY(display_));  // "vnc-disconnected" follows
  else
    end(SessionEnd{Outcome::Closed, summary_for(Outcome::Closed), {}, initialized_});
}

void ConsoleSession::on_gateway(GatewayResult r) {
  if (r.fd < 0) {
    end(SessionEnd{r.failure, r.message, r.detail, false});
    return;
  }
  if (events_.status) events_.status(_("Logging in…"));
  // The gateway's host name, not the address: SASL's service principal
  // is vnc/<host> and the TLS certificate is checked against it.
  if (!vnc_display_open_fd_with_hostname(VNC_DISPLAY(display_), r.fd, link_.host.c_str())) {
    close_socket(r.fd);
    end(SessionEnd{Outcome::ConnectFailed, _("The connection to the gateway failed."),
                   "vnc_display_open_fd_with_hostname failed", false});
  }
}

void ConsoleSession::end(SessionEnd e) {
  if (ended_) return;
  ended_ = true;
  if (events_.ended) events_.ended(e);
}

std::string ConsoleSession::security() const {
  return type_ ? describe_security(type_, subtype_, asked_password_) : std::string();
}

int ConsoleSession::width() const {
  return vnc_display_get_width(VNC_DISPLAY(display_));
}
int ConsoleSession::height() const {
  return vnc_display_get_height(VNC_DISPLAY(display_));
}
std::string ConsoleSession::desktop_name() const {
  const char *n = vnc_display_get_name(VNC_DISPLAY(display_));
  return n ? n : "";
}

void ConsoleSession::on_choose_type(VncConnection *conn, GValueArray *types, gpointer self) {
  auto *s = static_cast<ConsoleSession *>(self);
  const std::vector<unsigned> offered = enum_values(types);
  const unsigned t = choose_auth_type(offered, policy_for(s->link_));
  if (!t) {
    s->unsupported_ = std::string(_("the server offers: ")) + join_names(offered);
    vnc_connection_shutdown(conn);
    return;
  }
  s->type_ = t;
  vnc_connection_set_auth_type(conn, t);
}

void ConsoleSession::on_choose_subtype(VncConnection *conn, unsigned, GValueArray *subtypes,
                                       gpointer self) {
  auto *s = static_cast<ConsoleSession *>(self);
  const std::vector<unsigned> offered = enum_values(subtypes);
  const unsigned t = choose_vencrypt_subtype(offered, policy_for(s->link_));
  if (!t) {
    s->unsupported_ = std::string(_("the server offers VeNCrypt with: ")) + join_names(offered);
    vnc_connection_shutdown(conn);
    return;
  }
  s->subtype_ = t;
  vnc_connection_set_auth_subtype(conn, t);
}

void ConsoleSession::on_update(VncConnection *, int x, int y, int w, int h, gpointer self) {
  auto *s = static_cast<ConsoleSession *>(self);
  if (s->full_update_seen_ || !s->initialized_ || w <= 0 || h <= 0) return;
  if (s->area_ == 0) {
    s->ux0_ = x, s->uy0_ = y, s->ux1_ = x + w, s->uy1_ = y + h;
  } else {
    s->ux0_ = std::min(s->ux0_, x), s->uy0_ = std::min(s->uy0_, y);
    s->ux1_ = std::max(s->ux1_, x + w), s->uy1_ = std::max(s->uy1_, y + h);
  }
  s->area_ += static_cast<unsigned long long>(w) * static_cast<unsigned long long>(h);
  const int fw = s->width(), fh = s->height();
  if (s->area_ >= static_cast<unsigned long long>(fw) * static_cast<unsigned long long>(fh) &&
      s->ux0_ == 0 && s->uy0_ == 0 && s->ux1_ >= fw && s->uy1_ >= fh) {
    s->full_update_seen_ = true;
    if (s->events_.full_update) s->events_.full_update();
  }
}

void ConsoleSession::on_connected(GtkWidget *, gpointer self) {
  auto *s = static_cast<ConsoleSession *>(self);
  if (s->events_.status) s->events_.status(_("Logging in…"));
}

void ConsoleSession::on_initialized(GtkWidget *, gpointer self) {
  auto *s = static_cast<ConsoleSession *>(self);
  s->initialized_ = true;
  if (s->events_.initialized) s->events_.initialized();
}

void ConsoleSession::on_credential(GtkWidget *display, GValueArray *creds, gpointer self) {
  auto *s = static_cast<ConsoleSession *>(self);
  CredentialRequest req;
  req.where = s->link_.display_name();
  req.username = s->link_.username;
  req.need_username = req.need_password = false;
  for (unsigned kind : enum_values(creds)) {
    if (kind == VNC_DISPLAY_CREDENTIAL_USERNAME)
      req.need_username = true;
    else if (kind == VNC_DISPLAY_CREDENTIAL_PASSWORD)
      req.need_password = true;
    else if (kind == VNC_DISPLAY_CREDENTIAL_CLIENTNAME)
      vnc_display_set_credential(VNC_DISPLAY(display), kind, "vncgate-viewer");
  }
  if (!req.need_username && !req.need_password) return;
  std::optional<Credentials> c;
  if (s->events_.credentials) c = s->events_.credentials(req);
  if (!c) {
    s->auth_cancelled_ = true;
    vnc_display_close(VNC_DISPLAY(display));
    return;
  }
  s->asked_password_ = req.need_password;
  if (req.need_username)
    vnc_display_set_credential(VNC_DISPLAY(display), VNC_DISPLAY_CREDENTIAL_USERNAME,
                               c->username.c_str());
  if (req.need_password)
    vnc_display_set_credential(VNC_DISPLAY(display), VNC_DISPLAY_CREDENTIAL_PASSWORD,
                               c->password.c_str());
}

void ConsoleSession::on_auth_failure(GtkWidget *, const char *reason, gpointer self) {
  auto *s = static_cast<ConsoleSession *>(self);
  s->auth_failed_ = true;
  s->auth_failure_ = reason ? reason : "";
}

void ConsoleSession::on_auth_unsupported(GtkWidget *, unsigned type, gpointer self) {
  auto *s = static_cast<ConsoleSession *>(self);
  s->unsupported_ = std::string(_("gtk-vnc cannot use ")) + security_name(type);
}

void ConsoleSession::on_error(GtkWidget *, const char *message, gpointer self) {
  auto *s = static_cast<ConsoleSession *>(self);
  if (s->error_.empty() && message) s->error_ = message;
}

void ConsoleSession::on_disconnected(GtkWidget *, gpointer self) {
  auto *s = static_cast<ConsoleSession *>(self);
  SessionEnd e;
  e.was_initialized = s->initialized_;
  if (s->closing_) {
    e.outcome = Outcome::Closed;
  } else if (s->auth_cancelled_) {
    e.outcome = Outcome::AuthCancelled;
  } else if (s->auth_failed_) {
    // No password was asked in a SASL login: the mechanism was GSSAPI.
    const bool sasl = s->type_ == rfb_security::kSasl || s->subtype_ == rfb_security::kX509Sasl ||
                      s->subtype_ == rfb_security::kTlsSasl;
    e.outcome = classify_auth_failure(s->auth_failure_, sasl && !s->asked_password_
                                                            ? Outcome::SingleSignOnFailed
                                                            : Outcome::AuthFailed);
    e.detail = s->auth_failure_;
  } else if (!s->unsupported_.empty()) {
    e.outcome = Outcome::AuthUnsupported;
    e.detail = s->unsupported_;
  } else if (!s->error_.empty() && classify_vnc_error(s->error_) == Outcome::TlsFailed) {
    e.outcome = Outcome::TlsFailed;
    e.detail = s->error_;
  } else {
    e.outcome = Outcome::Disconnected;
    e.detail = !s->error_.empty() ? s->error_
               : s->initialized_  ? std::string(_("the connection was lost"))
                                  : std::string(_("the server closed the connection during login"));
  }
  e.message = summary_for(e.outcome);
  s->end(std::move(e));
}

}  // namespace vncgate::viewer
