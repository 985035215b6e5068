// vncgate-viewer: shows one console through a vncgate gateway (or a plain
// VNC server) with gtk-vnc. See options.h for the command line and
// exit_status.h for the exit codes; one viewer per console
// (single_instance.h).
#ifndef _WIN32
#include <glib-unix.h>  // g_unix_signal_add: Unix only
#endif
#include <glib/gi18n.h>
#include <gtk/gtk.h>
#include <unistd.h>

#include <clocale>
#include <cstdio>
#include <iostream>

#include "ca_store.h"
#include "exit_status.h"
#include "options.h"
#include "single_instance.h"
#include "viewer_window.h"

using namespace vncgate::viewer;

namespace {

int fail(Outcome o, const std::string &detail) {
  std::cerr << stderr_line(o, detail) << std::endl;
  return exit_code_for(o);
}

int install_ca(const ViewerOptions &o) {
  std::vector<CertInfo> certs;
  std::string error;
  if (!read_certificates(o.install_ca, certs, error)) return fail(Outcome::Usage, error);
  const std::string dest = user_ca_path();
  // Whole sentences with the path filled in, so translators can order them.
  auto say = [](const char *fmt, const std::string &value) {
    gchar *text = g_strdup_printf(fmt, value.c_str());
    std::cout << text;
    g_free(text);
  };
  say(_("Certificates in %s:\n"), o.install_ca);
  for (const auto &c : certs) {
    if (c.is_ca)
      std::cout << "  " << c.subject << "\n";
    else
      say(_("  %s (not a CA certificate)\n"), c.subject);
    std::cout << "  SHA-256 " << c.fingerprint << "\n";
  }
  std::cout << _("Compare the fingerprint with the one your administrator published.") << "\n";
  if (!o.yes) {
    if (!isatty(STDIN_FILENO))
      return fail(Outcome::Usage, _("standard input is not a terminal: confirm with --yes"));
    say(_("Install into %s? [y/N] "), dest);
    std::cout << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "Y" && answer != "yes") {
      std::cout << _("Nothing was installed.") << "\n";
      return kExitUsage;
    }
  }
  int added = 0;
  if (!install_ca_file(o.install_ca, dest, added, error)) return fail(Outcome::Usage, error);
  say(added ? _("Installed into %s\n") : _("Already installed in %s\n"), dest);
  return kExitOk;
}

}  // namespace

int main(int argc, char **argv) {
  std::setlocale(LC_ALL, "");
  // VNCGATE_LOCALEDIR: other catalogs than the installed ones (the build
  // tree's, for the i18n tests).
  const char *localedir = g_getenv("VNCGATE_LOCALEDIR");
  bindtextdomain(GETTEXT_PACKAGE, localedir && *localedir ? localedir : LOCALEDIR);
  bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
  textdomain(GETTEXT_PACKAGE);

  std::vector<std::string> args(argv, argv + argc);
  ArgsResult parsed = parse_viewer_args(args, gtk_get_option_group(FALSE));
  if (!parsed.options)
    return fail(parsed.bad_link ? Outcome::BadLink : Outcome::Usage, parsed.error);
  const ViewerOptions &o = *parsed.options;
  if (o.version) {
    std::cout << "vncgate-viewer " << VNCGATE_VERSION << std::endl;
    return kExitOk;
  }
  if (!o.install_ca.empty()) return install_ca(o);
  if (!o.vv_path.empty() && o.link->delete_file) unlink(o.vv_path.c_str());
  if (o.link->has_password)
    std::cerr << "vncgate-viewer: " << _("warning: the link contains a password; it is not used")
              << std::endl;
  if (!o.ca_file.empty()) {
    std::string where, error;
    if (!ca_is_installed(o.ca_file, where, error)) {
      if (!error.empty()) return fail(Outcome::Usage, error);
      gchar *m = g_strdup_printf(
          _("%s is not installed where gtk-vnc reads its CA (%s or %s); install it with "
            "vncgate-viewer --install-ca %s"),
          o.ca_file.c_str(), user_ca_path().c_str(), system_ca_path().c_str(), o.ca_file.c_str());
      std::string msg = m;
      g_free(m);
      return fail(Outcome::Usage, msg);
    }
  }

  if (!gtk_init_check(nullptr, nullptr)) return fail(Outcome::DisplayUnavailable, {});
  g_set_prgname("vncgate-viewer");
  g_set_application_name(_("vncgate console viewer"));

  ViewerWindow *window = nullptr;
  SingleInstance instance([&window] {
    if (window) window->present();
  });
  if (!o.no_single_instance) {
    std::string detail;
    switch (instance.claim(*o.link, detail)) {
      case SingleInstance::Claim::OtherRaised:
        std::cerr << stderr_line(Outcome::RaisedOther, {}) << std::endl;
        return kExitOk;
      case SingleInstance::Claim::Unavailable:
        std::cerr << "vncgate-viewer: " << _("one viewer per console is not enforced") << " ("
                  << detail << ")" << std::endl;
        break;
      case SingleInstance::Claim::Owner:
        break;
    }
  }

  window = new ViewerWindow(o);
  // SIGTERM and SIGINT end the viewer like closing its window (the
  // per-console socket is removed). Windows has no such signals.
#ifndef _WIN32
  auto on_signal = [](gpointer w) -> gboolean {
    static_cast<ViewerWindow *>(w)->close();
    return G_SOURCE_CONTINUE;
  };
  const guint term_id = g_unix_signal_add(SIGTERM, on_signal, window);
  const guint int_id = g_unix_signal_add(SIGINT, on_signal, window);
#endif
  window->start();
  gtk_main();
  const Outcome outcome = window->outcome();
  const std::string message = window->message();
  const std::string detail = window->detail();
#ifndef _WIN32
  g_source_remove(term_id);
  g_source_remove(int_id);
#endif
  delete window;
  window = nullptr;
  if (exit_code_for(outcome) != kExitOk) {
    // The most specific sentence known, e.g. the gateway's refusal.
    std::cerr << "vncgate-viewer: " << (message.empty() ? summary_for(outcome) : message)
              << (detail.empty() ? "" : " (" + detail + ")") << std::endl;
    return exit_code_for(outcome);
  }
  if (!detail.empty())
    std::cerr << "vncgate-viewer: " << _("last error:") << " " << detail << std::endl;
  return kExitOk;
}
