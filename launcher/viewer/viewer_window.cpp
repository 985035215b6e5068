#include "viewer_window.h"

#include <gdk/gdkkeysyms.h>
#include <glib/gi18n.h>
#include <gtk-vnc.h>

#include <cstdio>

#include "cert_probe.h"
#include "link/viewer_report.h"

namespace vncgate::viewer {

namespace {

enum Action {
  kReconnect,
  kScreenshot,
  kClose,
  kFullscreen,
  kScaling,
  kCtrlAltDel,
  kCtrlAltBackspace,
  kCtrlAltF1,
  kCtrlAltF2,
  kCtrlAltF7,
  kPrintScreen,
  kF11,
};

void log_line(const std::string &line) {
  std::fprintf(stderr, "vncgate-viewer: %s\n", line.c_str());
  std::fflush(stderr);
}

}  // namespace

ViewerWindow::ViewerWindow(const ViewerOptions &options)
    : options_(options), link_(*options.link), window_(gtk_window_new(GTK_WINDOW_TOPLEVEL)) {
  gtk_window_set_title(GTK_WINDOW(window_), window_title().c_str());
  gtk_window_set_default_size(GTK_WINDOW(window_), 800, 600);
  accels_ = gtk_accel_group_new();
  gtk_window_add_accel_group(GTK_WINDOW(window_), accels_);
  GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
  menubar_ = build_menu();
  gtk_box_pack_start(GTK_BOX(box), menubar_, FALSE, FALSE, 0);

  bar_ = gtk_info_bar_new_with_buttons(_("_Reconnect"), GTK_RESPONSE_OK, nullptr);
  gtk_info_bar_set_message_type(GTK_INFO_BAR(bar_), GTK_MESSAGE_WARNING);
  gtk_info_bar_set_show_close_button(GTK_INFO_BAR(bar_), TRUE);
  bar_label_ = gtk_label_new("");
  gtk_label_set_line_wrap(GTK_LABEL(bar_label_), TRUE);
  gtk_container_add(GTK_CONTAINER(gtk_info_bar_get_content_area(GTK_INFO_BAR(bar_))), bar_label_);
  g_signal_connect(bar_, "response", G_CALLBACK(on_bar_response), this);
  gtk_box_pack_start(GTK_BOX(box), bar_, FALSE, FALSE, 0);

  area_ = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
  gtk_box_pack_start(GTK_BOX(box), area_, TRUE, TRUE, 0);
  status_ = gtk_label_new("");
  gtk_label_set_xalign(GTK_LABEL(status_), 0);
  gtk_label_set_ellipsize(GTK_LABEL(status_), PANGO_ELLIPSIZE_END);
  gtk_widget_set_margin_start(status_, 6);
  gtk_widget_set_margin_end(status_, 6);
  gtk_widget_set_margin_top(status_, 2);
  gtk_widget_set_margin_bottom(status_, 2);
  gtk_box_pack_end(GTK_BOX(box), status_, FALSE, FALSE, 0);
  gtk_container_add(GTK_CONTAINER(window_), box);
  g_signal_connect(window_, "delete-event", G_CALLBACK(on_delete), this);
  g_signal_connect(window_, "window-state-event", G_CALLBACK(on_window_state), this);
  g_signal_connect(window_, "key-press-event", G_CALLBACK(on_key), this);
  g_signal_connect(window_, "key-release-event", G_CALLBACK(on_key), this);
  gtk_widget_show_all(window_);
  gtk_widget_hide(bar_);
  if (link_.has_password)
    show_lost_bar(_("The link contained a password. It is not used: log in with the dialog."));
}

ViewerWindow::~ViewerWindow() {
  if (reap_id_) g_source_remove(reap_id_);
  session_.reset();
  ended_sessions_.clear();
  gtk_widget_destroy(window_);
  g_object_unref(accels_);
}

std::string ViewerWindow::window_title() const {
  std::string t = !options_.title.empty()  ? options_.title
                  : !link_.title.empty()   ? link_.title
                  : !link_.console.empty() ? link_.console
                                           : link_.host;
  return t + " — vncgate";
}

GtkWidget *ViewerWindow::build_menu() {
  GtkWidget *bar = gtk_menu_bar_new();
  auto add_menu = [&](const char *label) {
    GtkWidget *top = gtk_menu_item_new_with_mnemonic(label);
    GtkWidget *menu = gtk_menu_new();
    gtk_menu_set_accel_group(GTK_MENU(menu), accels_);
    gtk_menu_item_set_submenu(GTK_MENU_ITEM(top), menu);
    gtk_menu_shell_append(GTK_MENU_SHELL(bar), top);
    return menu;
  };
  auto add_item = [&](GtkWidget *menu, const char *label, Action action, bool check = false) {
    GtkWidget *item = check ? gtk_check_menu_item_new_with_mnemonic(label)
                            : gtk_menu_item_new_with_mnemonic(label);
    g_object_set_data(G_OBJECT(item), "vncgate-action", GINT_TO_POINTER(action));
    g_signal_connect(item, check ? "toggled" : "activate", G_CALLBACK(on_action), this);
    gtk_menu_shell_append(GTK_MENU_SHELL(menu), item);
    return item;
  };
  GtkWidget *console = add_menu(_("_Console"));
  add_item(console, _("_Reconnect"), kReconnect);
  add_item(console, _("Save _Screenshot…"), kScreenshot);
  gtk_menu_shell_append(GTK_MENU_SHELL(console), gtk_separator_menu_item_new());
  add_item(console, _("_Close"), kClose);
  GtkWidget *view = add_menu(_("_View"));
  // F11 through the accel group itself, so it works while the menu bar is
  // hidden in full screen; the item shows it as its accelerator.
  GtkWidget *fs = add_item(view, _("_Full Screen"), kFullscreen);
  gtk_accel_label_set_accel(GTK_ACCEL_LABEL(gtk_bin_get_child(GTK_BIN(fs))), GDK_KEY_F11,
                            GdkModifierType(0));
  GClosure *toggle = g_cclosure_new(G_CALLBACK(+[](GtkAccelGroup *, GObject *, guint,
                                                   GdkModifierType, gpointer self) -> gboolean {
                                      static_cast<ViewerWindow *>(self)->toggle_fullscreen();
                                      return TRUE;
                                    }),
                                    this, nullptr);
  gtk_accel_group_connect(accels_, GDK_KEY_F11, GdkModifierType(0), GtkAccelFlags(0), toggle);
  scale_item_ = add_item(view, _("_Scale to Window"), kScaling, true);
  GtkWidget *keys = add_menu(_("Send _Key"));
  add_item(keys, "Ctrl+Alt+_Del", kCtrlAltDel);
  add_item(keys, "Ctrl+Alt+_Backspace", kCtrlAltBackspace);
  add_item(keys, "Ctrl+Alt+F_1", kCtrlAltF1);
  add_item(keys, "Ctrl+Alt+F_2", kCtrlAltF2);
  add_item(keys, "Ctrl+Alt+F_7", kCtrlAltF7);
  add_item(keys, _("_Print Screen"), kPrintScreen);
  add_item(keys, "F11", kF11);
  return bar;
}

void ViewerWindow::start() {
  if (options_.fullscreen) gtk_window_fullscreen(GTK_WINDOW(window_));
  connect_session(true);
}

void ViewerWindow::present() {
  log_line(_("asked to raise the window"));
  gtk_window_deiconify(GTK_WINDOW(window_));
  gtk_window_present(GTK_WINDOW(window_));
}

void ViewerWindow::connect_session(bool with_token, bool password_only) {
  drop_session();
  gtk_widget_hide(bar_);
  SessionEvents ev;
  ev.status = [this](const std::string &s) { set_status(s); };
  ev.initialized = [this] { on_initialized(); };
  ev.full_update = [this] { on_full_update(); };
  ev.ended = [this](const SessionEnd &e) { on_ended(e); };
  ev.credentials = [this](const CredentialRequest &r) { return on_credentials(r); };
  session_ = std::make_unique<ConsoleSession>(link_, std::move(ev));
  GtkWidget *display = session_->display();
  vnc_display_set_scaling(VNC_DISPLAY(display),
                          gtk_check_menu_item_get_active(GTK_CHECK_MENU_ITEM(scale_item_)));
  gtk_box_pack_start(GTK_BOX(area_), display, TRUE, TRUE, 0);
  gtk_widget_show(display);
  gtk_widget_grab_focus(display);
  session_->open(with_token, password_only);
}

// A session is never deleted inside its own signal handlers: ended ones
// wait for an idle moment.
void ViewerWindow::drop_session() {
  if (!session_) return;
  gtk_container_remove(GTK_CONTAINER(area_), session_->display());
  ended_sessions_.push_back(std::move(session_));
  if (!reap_id_)
    reap_id_ = g_idle_add(
        [](gpointer self) -> gboolean {
          auto *w = static_cast<ViewerWindow *>(self);
          w->reap_id_ = 0;
          w->ended_sessions_.clear();
          return G_SOURCE_REMOVE;
        },
        this);
}

void ViewerWindow::set_status(const std::string &text) {
  gtk_label_set_text(GTK_LABEL(status_), text.c_str());
}

void ViewerWindow::finish(Outcome o, const std::string &message, const std::string &detail) {
  if (quitting_) return;
  quitting_ = true;
  outcome_ = o;
  message_ = message;
  detail_ = detail;
  cancel_running_dialog();
  gtk_main_quit();
}

void ViewerWindow::report_connected() {
  if (!options_.report_state || reported_) return;
  reported_ = true;
  std::fprintf(stderr, "%s\n", format_viewer_report({ViewerReport::State::Connected, {}}).c_str());
  std::fflush(stderr);
}

void ViewerWindow::report_failed(const std::string &message, const std::string &detail) {
  if (!options_.report_state || reported_) return;
  reported_ = true;
  const std::string reason = message + (detail.empty() ? "" : " (" + detail + ")");
  std::fprintf(stderr, "%s\n", format_viewer_report({ViewerReport::State::Failed, reason}).c_str());
  std::fflush(stderr);
}

void ViewerWindow::toggle_fullscreen() {
  // The window manager confirms through window-state-event.
  log_line(fullscreen_ ? "leaving full screen" : "entering full screen");
  if (fullscreen_)
    gtk_window_unfullscreen(GTK_WINDOW(window_));
  else
    gtk_window_fullscreen(GTK_WINDOW(window_));
}

void ViewerWindow::close() {
  finish(Outcome::Closed, summary_for(Outcome::Closed), detail_);
}

void ViewerWindow::on_initialized() {
  last_auth_failed_ = false;
  sso_failure_.clear();
  token_consumed_ = true;
  const std::string security = session_->security();
  gchar *m = g_strdup_printf(_("Connected. Security: %s%s"), security.c_str(),
                             link_.view_only ? _(" — view only") : "");
  set_status(m);
  g_free(m);
  report_connected();
  log_line(std::string("connected to ") + link_.display_name() + " (" +
           std::to_string(session_->width()) + "x" + std::to_string(session_->height()) +
           "; security: " + security + ")");
  // Fit the window to the console (the default size is for the login).
  if (!fullscreen_) gtk_window_resize(GTK_WINDOW(window_), 1, 1);
  if (options_.title.empty() && link_.title.empty() && link_.console.empty() &&
      !session_->desktop_name().empty())
    gtk_window_set_title(GTK_WINDOW(window_), (session_->desktop_name() + " — vncgate").c_str());
}

void ViewerWindow::on_full_update() {
  log_line("first full screen update received");
  if (options_.screenshot.empty()) return;
  std::string error;
  if (save_screenshot(options_.screenshot, error)) {
    log_line("screenshot saved to " + options_.screenshot);
    finish(Outcome::ScreenshotSaved, summary_for(Outcome::ScreenshotSaved), {});
  } else {
    finish(Outcome::ScreenshotFailed, summary_for(Outcome::ScreenshotFailed), error);
  }
}

void ViewerWindow::on_ended(const SessionEnd &e) {
  if (quitting_) return;
  if (e.outcome == Outcome::Closed) {
    finish(Outcome::Closed, e.message, {});
    return;
  }
  if (e.outcome == Outcome::TlsFailed) {
    // Show which certificate was refused (gtk-vnc does not say).
    set_status(_("Reading the server's certificate…"));
    probe_server_certificate(link_, [this, e](PeerCertificate cert) {
      SessionEnd with_cert = e;
      with_cert.detail += (e.detail.empty() ? "" : "\n") + describe_certificate(cert);
      if (!cert.fingerprint.empty())
        with_cert.detail +=
            "\n" + std::string(_("The certificate was refused. If your administrator "
                                 "confirms this fingerprint, install the CA that issued "
                                 "it with: vncgate-viewer --install-ca FILE"));
      handle_end(with_cert);
    });
    return;
  }
  if (fall_back_to_password(e)) return;
  handle_end(e);
}

bool ViewerWindow::fall_back_to_password(const SessionEnd &e) {
  if (!session_ || session_->auth_hint() != AuthHint::Kerberos || e.was_initialized ||
      e.outcome != Outcome::SingleSignOnFailed)
    return false;
  std::string unused;
  if (options_.non_interactive && !credentials_from_environment(unused)) return false;
  sso_failure_ = e.detail;
  log_line(std::string(_("Single sign-on failed; asking for a password instead.")) +
           (e.detail.empty() ? "" : " (" + e.detail + ")"));
  // The gateway frees a one-time token again when the login fails.
  connect_session(!token_consumed_, true);
  return true;
}

std::string ViewerWindow::password_notice() const {
  using State = TicketCheck::State;
  if (!sso_failure_.empty()) return _("Single sign-on failed. Log in with your password instead.");
  if (!session_) return {};
  switch (session_->ticket().state) {
    case State::Expired:
      return _(
          "Your Kerberos ticket has expired (renew it with kinit). Log in with your password.");
    case State::Unusable:
      return _(
          "Single sign-on is not possible with your Kerberos ticket. Log in with your "
          "password.");
    default:
      return {};
  }
}

void ViewerWindow::handle_end(const SessionEnd &e) {
  if (quitting_) return;
  last_auth_failed_ = e.outcome == Outcome::AuthFailed;
  // The launcher returns now with this reason; the user may still try
  // again in the viewer's own dialog.
  report_failed(e.message, e.detail);
  if (options_.non_interactive || e.outcome == Outcome::AuthCancelled) {
    finish(e.outcome, e.message, e.detail);  // main() writes the reason to stderr
    return;
  }
  log_line(e.message + (e.detail.empty() ? "" : " (" + e.detail + ")"));
  if (e.was_initialized && e.outcome == Outcome::Disconnected) {
    // Keep the last picture and offer to reconnect.
    set_status(_("Disconnected."));
    show_lost_bar(std::string(_("The connection to the console was lost.")) +
                  (e.detail.empty() ? "" : " (" + e.detail + ")"));
    detail_ = e.detail;
    return;
  }
  set_status(e.message);
  const bool can_retry = retry_can_help(e.outcome);
  if (ask_retry(GTK_WINDOW(window_), e.message, e.detail, can_retry)) {
    // The gateway frees a one-time token again when the login fails. After
    // a failed single sign-on the retry stays with the password.
    connect_session(!token_consumed_, !sso_failure_.empty());
    return;
  }
  finish(e.outcome, e.message, e.detail);
}

std::optional<Credentials> ViewerWindow::on_credentials(const CredentialRequest &req) {
  if (const std::string notice = password_notice(); !notice.empty()) {
    const std::string why = !sso_failure_.empty() ? sso_failure_
                            : session_            ? session_->ticket().detail
                                                  : std::string();
    log_line(notice + (why.empty() ? "" : " (" + why + ")"));
  }
  std::string error;
  if (auto env = credentials_from_environment(error)) {
    if (!env_credentials_used_ || !options_.non_interactive) {
      env_credentials_used_ = true;
      log_line("credentials taken from VNCGATE_VIEWER_USERNAME / VNCGATE_VIEWER_PASSWORD_FILE");
      return env;
    }
  }
  if (!error.empty()) log_line(error);
  if (options_.non_interactive) {
    log_line(_("a login is needed but --non-interactive (or --screenshot) shows no dialog"));
    return std::nullopt;
  }
  CredentialRequest r = req;
  if (!last_username_.empty()) r.username = last_username_;
  if (last_auth_failed_)
    r.notice = _("The last login failed. Check the user name and password and try again.");
  else
    r.notice = password_notice();
  log_line("asking for credentials");
  auto c = ask_credentials(GTK_WINDOW(window_), r);
  if (c && req.need_username) last_username_ = c->username;
  return c;
}

void ViewerWindow::show_lost_bar(const std::string &text) {
  gtk_label_set_text(GTK_LABEL(bar_label_), text.c_str());
  gtk_widget_show(bar_);
}

bool ViewerWindow::save_screenshot(const std::string &path, std::string &error) {
  if (!session_ || !session_->is_initialized()) {
    error = _("not connected");
    return false;
  }
  GdkPixbuf *pixbuf = vnc_display_get_pixbuf(VNC_DISPLAY(session_->display()));
  if (!pixbuf) {
    error = _("no picture yet");
    return false;
  }
  GError *err = nullptr;
  const bool ok = gdk_pixbuf_save(pixbuf, path.c_str(), "png", &err, nullptr);
  g_object_unref(pixbuf);
  if (!ok) {
    error = path + ": " + err->message;
    g_error_free(err);
  }
  return ok;
}

void ViewerWindow::save_screenshot_dialog() {
  GtkFileChooserNative *chooser =
      gtk_file_chooser_native_new(_("Save Screenshot"), GTK_WINDOW(window_),
                                  GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_do_overwrite_confirmation(GTK_FILE_CHOOSER(chooser), TRUE);
  const std::string base = link_.console.empty() ? std::string("console") : link_.console;
  gtk_file_chooser_set_current_name(GTK_FILE_CHOOSER(chooser), (base + ".png").c_str());
  if (gtk_native_dialog_run(GTK_NATIVE_DIALOG(chooser)) == GTK_RESPONSE_ACCEPT) {
    gchar *file = gtk_file_chooser_get_filename(GTK_FILE_CHOOSER(chooser));
    std::string error;
    if (file && !save_screenshot(file, error))
      ask_retry(GTK_WINDOW(window_), summary_for(Outcome::ScreenshotFailed), error, false);
    g_free(file);
  }
  g_object_unref(chooser);
}

void ViewerWindow::send_keys(std::vector<guint> keys) {
  if (!session_ || !session_->is_initialized() || link_.view_only) return;
  vnc_display_send_keys(VNC_DISPLAY(session_->display()), keys.data(),
                        static_cast<int>(keys.size()));
}

void ViewerWindow::on_action(GtkMenuItem *item, gpointer self) {
  auto *w = static_cast<ViewerWindow *>(self);
  const auto action =
      static_cast<Action>(GPOINTER_TO_INT(g_object_get_data(G_OBJECT(item), "vncgate-action")));
  switch (action) {
    case kReconnect:
      w->connect_session(!w->token_consumed_);
      break;
    case kScreenshot:
      w->save_screenshot_dialog();
      break;
    case kClose:
      w->close();
      break;
    case kFullscreen:
      w->toggle_fullscreen();
      break;
    case kScaling:
      if (w->session_)
        vnc_display_set_scaling(VNC_DISPLAY(w->session_->display()),
                                gtk_check_menu_item_get_active(GTK_CHECK_MENU_ITEM(item)));
      break;
    case kCtrlAltDel:
      w->send_keys({GDK_KEY_Control_L, GDK_KEY_Alt_L, GDK_KEY_Delete});
      break;
    case kCtrlAltBackspace:
      w->send_keys({GDK_KEY_Control_L, GDK_KEY_Alt_L, GDK_KEY_BackSpace});
      break;
    case kCtrlAltF1:
      w->send_keys({GDK_KEY_Control_L, GDK_KEY_Alt_L, GDK_KEY_F1});
      break;
    case kCtrlAltF2:
      w->send_keys({GDK_KEY_Control_L, GDK_KEY_Alt_L, GDK_KEY_F2});
      break;
    case kCtrlAltF7:
      w->send_keys({GDK_KEY_Control_L, GDK_KEY_Alt_L, GDK_KEY_F7});
      break;
    case kPrintScreen:
      w->send_keys({GDK_KEY_Print});
      break;
    case kF11:
      w->send_keys({GDK_KEY_F11});
      break;
  }
}

gboolean ViewerWindow::on_delete(GtkWidget *, GdkEvent *, gpointer self) {
  static_cast<ViewerWindow *>(self)->close();
  return TRUE;
}

// While the console has the keyboard, keys go to it first: menu mnemonics
// (Alt+C, Alt+V, Alt+K) and other shortcuts would otherwise take keys the
// console needs. F11 (full screen) stays with the viewer.
gboolean ViewerWindow::on_key(GtkWidget *window, GdkEventKey *event, gpointer self) {
  auto *w = static_cast<ViewerWindow *>(self);
  if (!w->session_ || event->keyval == GDK_KEY_F11) return FALSE;
  GtkWidget *display = w->session_->display();
  if (!gtk_widget_has_focus(display) || !vnc_display_is_open(VNC_DISPLAY(display))) return FALSE;
  return gtk_window_propagate_key_event(GTK_WINDOW(window), event);
}

gboolean ViewerWindow::on_window_state(GtkWidget *, GdkEventWindowState *e, gpointer self) {
  auto *w = static_cast<ViewerWindow *>(self);
  w->fullscreen_ = (e->new_window_state & GDK_WINDOW_STATE_FULLSCREEN) != 0;
  gtk_widget_set_visible(w->menubar_, !w->fullscreen_);
  gtk_widget_set_visible(w->status_, !w->fullscreen_);
  return FALSE;
}

void ViewerWindow::on_bar_response(GtkInfoBar *, gint response, gpointer self) {
  auto *w = static_cast<ViewerWindow *>(self);
  gtk_widget_hide(w->bar_);
  if (response == GTK_RESPONSE_OK) w->connect_session(!w->token_consumed_);
}

}  // namespace vncgate::viewer
