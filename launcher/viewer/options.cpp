#include "options.h"

#include <glib/gi18n.h>

#include <fstream>
#include <iostream>
#include <memory>

#include "rfb/http_connect.h"

namespace vncgate::viewer {

namespace {

struct Raw {
  gchar *host = nullptr;
  gint port = 0;
  gchar *console = nullptr;
  gchar *token = nullptr;
  gchar *ca = nullptr;
  gchar *install_ca = nullptr;
  gchar *screenshot = nullptr;
  gchar *title = nullptr;
  gboolean fullscreen = FALSE;
  gboolean version = FALSE;
  gboolean yes = FALSE;
  gboolean non_interactive = FALSE;
  gboolean no_single_instance = FALSE;
  gboolean link_stdin = FALSE;
  gboolean report_state = FALSE;
  gchar **rest = nullptr;
  ~Raw() {
    for (gchar *p : {host, console, token, ca, install_ca, screenshot, title}) g_free(p);
    g_strfreev(rest);
  }
};

std::string str(const gchar *p) {
  return p ? p : "";
}

ArgsResult fail(std::string why, bool bad_link = false) {
  ArgsResult r;
  r.error = std::move(why);
  r.bad_link = bad_link;
  return r;
}

// Reads at most kMaxVvFileSize + 1 bytes, so an oversized file is refused
// by the parser without being read whole.
bool read_vv(const std::string &path, std::string &contents, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = _("cannot read the file");
    return false;
  }
  contents.resize(kMaxVvFileSize + 1);
  in.read(contents.data(), static_cast<std::streamsize>(contents.size()));
  contents.resize(static_cast<size_t>(in.gcount()));
  return true;
}

}  // namespace

std::optional<std::string> read_link_line(std::istream &in) {
  std::string line;
  char c;
  while (line.size() <= kMaxStdinLink && in.get(c) && c != '\n') line += c;
  if (line.size() > kMaxStdinLink) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::string link_from_parts(const std::string &host, int port, const std::string &console,
                            const std::string &token, std::string &error) {
  if (!is_valid_link_host(host)) {
    error = _("invalid host name");
    return {};
  }
  if (port < 0 || port > 65535) {
    error = _("invalid port");
    return {};
  }
  if (!console.empty() && !is_valid_console_name(console)) {
    error = _("invalid console name");
    return {};
  }
  if (!token.empty() && (console.empty() || !is_valid_token(token))) {
    error = console.empty() ? _("--token needs --console") : _("invalid token");
    return {};
  }
  const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::string url = (console.empty() ? "vnc://" : "vncgate://") + h;
  if (port > 0) url += ":" + std::to_string(port);
  if (!console.empty()) url += "/console/" + console;
  if (!token.empty()) url += "?token=" + token;
  return url;
}

ArgsResult parse_viewer_args(const std::vector<std::string> &args, GOptionGroup *extra,
                             std::istream *link_input) {
  Raw raw;
  const GOptionEntry entries[] = {
      {"host", 0, 0, G_OPTION_ARG_STRING, &raw.host, N_("Gateway (or VNC server) host name"),
       N_("HOST")},
      {"port", 0, 0, G_OPTION_ARG_INT, &raw.port,
       N_("Port (default 5901 for a console, 5900 otherwise)"), N_("PORT")},
      {"console", 0, 0, G_OPTION_ARG_STRING, &raw.console, N_("Console name on the gateway"),
       N_("NAME")},
      {"token", 0, 0, G_OPTION_ARG_STRING, &raw.token, N_("One-time link token"), N_("TOKEN")},
      {"ca", 0, 0, G_OPTION_ARG_FILENAME, &raw.ca,
       N_("CA certificate expected for TLS (gtk-vnc reads its CA only from ~/.pki/CA/cacert.pem or "
          "/etc/pki/CA/cacert.pem: the file must be installed there, see --install-ca)"),
       N_("FILE")},
      {"install-ca", 0, 0, G_OPTION_ARG_FILENAME, &raw.install_ca,
       N_("Show a CA certificate's SHA-256 fingerprint and install it as ~/.pki/CA/cacert.pem"),
       N_("FILE")},
      {"yes", 0, 0, G_OPTION_ARG_NONE, &raw.yes, N_("Do not ask for confirmation (--install-ca)"),
       nullptr},
      {"screenshot", 0, 0, G_OPTION_ARG_FILENAME, &raw.screenshot,
       N_("Save the console as PNG after the first full update, then exit (automation)"),
       N_("FILE")},
      {"title", 0, 0, G_OPTION_ARG_STRING, &raw.title, N_("Window title"), N_("TEXT")},
      {"fullscreen", 0, 0, G_OPTION_ARG_NONE, &raw.fullscreen, N_("Start in full screen"), nullptr},
      {"non-interactive", 0, 0, G_OPTION_ARG_NONE, &raw.non_interactive,
       N_("Show no dialogs: errors end the viewer"), nullptr},
      {"no-single-instance", 0, 0, G_OPTION_ARG_NONE, &raw.no_single_instance,
       N_("Do not raise or register the one viewer per console"), nullptr},
      {"link-stdin", 0, 0, G_OPTION_ARG_NONE, &raw.link_stdin,
       N_("Read the link from standard input (one line), so it does not show in the process list"),
       nullptr},
      {"report-state", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &raw.report_state,
       "Write one line 'vncgate-viewer-state: connected|failed REASON' to stderr (for "
       "vncgate-launcher)",
       nullptr},
      {"version", 0, 0, G_OPTION_ARG_NONE, &raw.version, N_("Show the version and exit"), nullptr},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &raw.rest, nullptr, N_("LINK")},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr},
  };
  std::unique_ptr<GOptionContext, decltype(&g_option_context_free)> ctx(
      g_option_context_new(_("- show a console through a vncgate gateway")), g_option_context_free);
  g_option_context_set_summary(
      ctx.get(),
      _("LINK is a vncgate:// link, a vnc:// URI (RFC 7869) or a virt-viewer .vv file.\n"
        "Exit status: 0 normal end, 1 connection or login failure, 2 bad link or usage."));
  g_option_context_set_description(
      ctx.get(), _("Environment (test and automation hook): VNCGATE_VIEWER_USERNAME and\n"
                   "VNCGATE_VIEWER_PASSWORD_FILE (a file holding the password) answer the\n"
                   "login without a dialog.\n"));
  g_option_context_add_main_entries(ctx.get(), entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain(ctx.get(), GETTEXT_PACKAGE);
  if (extra) g_option_context_add_group(ctx.get(), extra);

  std::vector<gchar *> argv;
  for (const auto &a : args) argv.push_back(g_strdup(a.c_str()));
  argv.push_back(nullptr);
  gchar **argv_p = argv.data();
  gint argc = static_cast<gint>(args.size());
  std::vector<gchar *> owned(argv.begin(), argv.end() - 1);  // parse may reorder argv
  GError *err = nullptr;
  const bool ok = g_option_context_parse(ctx.get(), &argc, &argv_p, &err);
  for (gchar *p : owned) g_free(p);
  if (!ok) {
    std::string why = err->message;
    g_error_free(err);
    return fail(why);
  }

  ViewerOptions o;
  o.ca_file = str(raw.ca);
  o.install_ca = str(raw.install_ca);
  o.screenshot = str(raw.screenshot);
  o.title = str(raw.title);
  o.fullscreen = raw.fullscreen;
  o.version = raw.version;
  o.yes = raw.yes;
  o.non_interactive = raw.non_interactive || !o.screenshot.empty();
  o.no_single_instance = raw.no_single_instance || !o.screenshot.empty();
  o.link_stdin = raw.link_stdin;
  o.report_state = raw.report_state;
  if (o.title.size() > 200 || !g_utf8_validate(o.title.c_str(), -1, nullptr))
    return fail(_("--title must be valid UTF-8 of at most 200 bytes"));

  std::vector<std::string> rest;
  for (gchar **p = raw.rest; p && *p; ++p) rest.emplace_back(*p);
  const bool parts = raw.host || raw.console || raw.token || raw.port;
  if (o.version || !o.install_ca.empty()) {
    if (!rest.empty() || parts || o.link_stdin)
      return fail(_("--version and --install-ca take no link"));
    return ArgsResult{o, {}, false};
  }
  if (o.link_stdin) {
    if (!rest.empty() || parts) return fail(_("give either --link-stdin or a link, not both"));
    std::optional<std::string> line = read_link_line(link_input ? *link_input : std::cin);
    if (!line) return fail(_("the link on standard input is too long"), true);
    if (line->empty()) return fail(_("no console link on standard input"), true);
    // Only links: a .vv file name read from a pipe would be a second way
    // to name files, and the launcher never sends one.
    if (line->find("://") == std::string::npos)
      return fail(_("standard input holds no vncgate:// or vnc:// link"), true);
    rest.push_back(std::move(*line));
  }
  if (rest.size() > 1) return fail(_("give one link only"));
  if (rest.empty() && !parts) return fail(_("no console link given (see --help)"));
  if (!rest.empty() && parts)
    return fail(_("give either a link or --host/--port/--console, not both"));

  LinkParse parsed;
  if (parts) {
    if (!raw.host) return fail(_("--port, --console and --token need --host"));
    std::string error;
    std::string url =
        link_from_parts(str(raw.host), raw.port, str(raw.console), str(raw.token), error);
    if (url.empty()) return fail(error, true);
    parsed = parse_console_link(url);
  } else if (rest[0].find("://") != std::string::npos) {
    parsed = parse_console_link(rest[0]);
  } else {
    o.vv_path = rest[0];
    std::string contents, error;
    if (!read_vv(o.vv_path, contents, error)) return fail(o.vv_path + ": " + error, true);
    parsed = parse_vv_file(contents);
  }
  if (!parsed.link) {
    // The link parser's messages are N_()-marked English: translated here.
    auto tr = [](const char *m) { return std::string(g_dgettext(GETTEXT_PACKAGE, m)); };
    return fail(parsed.reason.render(tr), true);
  }
  o.link = parsed.link;
  return ArgsResult{o, {}, false};
}

}  // namespace vncgate::viewer
