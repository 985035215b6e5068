#include "credentials.h"

#include <glib/gi18n.h>

#include <fstream>

namespace vncgate::viewer {

namespace {

GtkDialog *g_running_dialog = nullptr;

gint run_dialog(GtkWidget *dialog) {
  GtkDialog *outer = g_running_dialog;
  g_running_dialog = GTK_DIALOG(dialog);
  const gint response = gtk_dialog_run(GTK_DIALOG(dialog));
  g_running_dialog = outer;
  return response;
}

}  // namespace

void cancel_running_dialog() {
  if (g_running_dialog) gtk_dialog_response(g_running_dialog, GTK_RESPONSE_CANCEL);
}

std::optional<Credentials> credentials_from_environment(std::string &error) {
  const char *user = g_getenv("VNCGATE_VIEWER_USERNAME");
  const char *file = g_getenv("VNCGATE_VIEWER_PASSWORD_FILE");
  if (!user && !file) return std::nullopt;
  Credentials c;
  c.username = user ? user : "";
  if (file && *file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      error = std::string(_("cannot read VNCGATE_VIEWER_PASSWORD_FILE")) + " " + file;
      return std::nullopt;
    }
    c.password.resize(kMaxPasswordFile + 1);
    in.read(c.password.data(), static_cast<std::streamsize>(c.password.size()));
    c.password.resize(static_cast<size_t>(in.gcount()));
    if (c.password.size() > kMaxPasswordFile) {
      error = _("VNCGATE_VIEWER_PASSWORD_FILE is larger than 4 KiB");
      return std::nullopt;
    }
    if (!c.password.empty() && c.password.back() == '\n') c.password.pop_back();
    if (!c.password.empty() && c.password.back() == '\r') c.password.pop_back();
  }
  return c;
}

std::optional<Credentials> ask_credentials(GtkWindow *parent, const CredentialRequest &request) {
  GtkWidget *dialog = gtk_dialog_new_with_buttons(
      _("Log in to the console"), parent,
      GtkDialogFlags(GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT), _("_Cancel"),
      GTK_RESPONSE_CANCEL, _("_Log In"), GTK_RESPONSE_OK, nullptr);
  gtk_dialog_set_default_response(GTK_DIALOG(dialog), GTK_RESPONSE_OK);
  GtkWidget *grid = gtk_grid_new();
  gtk_grid_set_row_spacing(GTK_GRID(grid), 6);
  gtk_grid_set_column_spacing(GTK_GRID(grid), 12);
  gtk_container_set_border_width(GTK_CONTAINER(grid), 12);
  int row = 0;
  gchar *intro = g_strdup_printf(_("Log in to %s"), request.where.c_str());
  GtkWidget *label = gtk_label_new(intro);
  g_free(intro);
  gtk_label_set_xalign(GTK_LABEL(label), 0);
  gtk_label_set_line_wrap(GTK_LABEL(label), TRUE);
  gtk_grid_attach(GTK_GRID(grid), label, 0, row++, 2, 1);
  if (!request.notice.empty()) {
    GtkWidget *notice = gtk_label_new(request.notice.c_str());
    gtk_label_set_xalign(GTK_LABEL(notice), 0);
    gtk_label_set_line_wrap(GTK_LABEL(notice), TRUE);
    gtk_style_context_add_class(gtk_widget_get_style_context(notice), "error");
    gtk_grid_attach(GTK_GRID(grid), notice, 0, row++, 2, 1);
  }
  GtkWidget *user = nullptr;
  GtkWidget *pass = nullptr;
  if (request.need_username) {
    GtkWidget *l = gtk_label_new_with_mnemonic(_("_User name:"));
    gtk_label_set_xalign(GTK_LABEL(l), 1);
    user = gtk_entry_new();
    gtk_entry_set_text(GTK_ENTRY(user), request.username.c_str());
    gtk_entry_set_activates_default(GTK_ENTRY(user), TRUE);
    gtk_label_set_mnemonic_widget(GTK_LABEL(l), user);
    gtk_grid_attach(GTK_GRID(grid), l, 0, row, 1, 1);
    gtk_grid_attach(GTK_GRID(grid), user, 1, row++, 1, 1);
  }
  if (request.need_password) {
    GtkWidget *l = gtk_label_new_with_mnemonic(_("_Password:"));
    gtk_label_set_xalign(GTK_LABEL(l), 1);
    pass = gtk_entry_new();
    gtk_entry_set_visibility(GTK_ENTRY(pass), FALSE);
    gtk_entry_set_input_purpose(GTK_ENTRY(pass), GTK_INPUT_PURPOSE_PASSWORD);
    gtk_entry_set_activates_default(GTK_ENTRY(pass), TRUE);
    gtk_label_set_mnemonic_widget(GTK_LABEL(l), pass);
    gtk_grid_attach(GTK_GRID(grid), l, 0, row, 1, 1);
    gtk_grid_attach(GTK_GRID(grid), pass, 1, row++, 1, 1);
  }
  gtk_container_add(GTK_CONTAINER(gtk_dialog_get_content_area(GTK_DIALOG(dialog))), grid);
  gtk_widget_show_all(dialog);
  if (user && !request.username.empty() && pass) gtk_widget_grab_focus(pass);

  std::optional<Credentials> result;
  if (run_dialog(dialog) == GTK_RESPONSE_OK) {
    Credentials c;
    if (user) c.username = gtk_entry_get_text(GTK_ENTRY(user));
    if (pass) c.password = gtk_entry_get_text(GTK_ENTRY(pass));
    result = std::move(c);
  }
  gtk_widget_destroy(dialog);
  return result;
}

bool ask_retry(GtkWindow *parent, const std::string &message, const std::string &detail,
               bool can_retry) {
  GtkWidget *dialog = gtk_message_dialog_new(parent, GTK_DIALOG_MODAL, GTK_MESSAGE_ERROR,
                                             GTK_BUTTONS_NONE, "%s", message.c_str());
  gtk_window_set_title(GTK_WINDOW(dialog), _("Could not open the console"));
  if (!detail.empty())
    gtk_message_dialog_format_secondary_text(GTK_MESSAGE_DIALOG(dialog), "%s", detail.c_str());
  gtk_dialog_add_button(GTK_DIALOG(dialog), _("_Close"), GTK_RESPONSE_CLOSE);
  if (can_retry) gtk_dialog_add_button(GTK_DIALOG(dialog), _("_Try Again"), GTK_RESPONSE_OK);
  gtk_dialog_set_default_response(GTK_DIALOG(dialog),
                                  can_retry ? GTK_RESPONSE_OK : GTK_RESPONSE_CLOSE);
  const bool retry = run_dialog(dialog) == GTK_RESPONSE_OK;
  gtk_widget_destroy(dialog);
  return retry;
}

}  // namespace vncgate::viewer
