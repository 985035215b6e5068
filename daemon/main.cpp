// vncgated: SASL-authenticating RFB gateway in front of mkvterm consoles.
#include <glib.h>
#include <glib/gi18n.h>
#include <sys/resource.h>

#include <clocale>
#include <cstdio>

#include "config.h"
#include "daemon.h"
#include "logging.h"
#include "security/kerberos.h"
#include "security/sasl_server.h"
#include "security/sasldb_check.h"

namespace {

struct Options {
  std::string config_path = "/etc/vncgate/vncgated.conf";
  bool verbose = false, check = false;
};

// The command line; a value >= 0 is main()'s exit status (an error, or an
// option such as --version that was answered at once).
int parse_options(int &argc, char **&argv, Options &options) {
  g_autofree gchar *config_path = nullptr;
  gboolean version = FALSE, verbose = FALSE, check = FALSE, list_keys = FALSE;
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
       N_("Configuration file (default /etc/vncgate/vncgated.conf)"), N_("FILE")},
      {"check-config", 0, 0, G_OPTION_ARG_NONE, &check, N_("Check the configuration file and exit"),
       nullptr},
      // Hidden: "SECTION KEY" per line, for the test that keeps vncgated.conf(5)
      // and the example file in step with the parser.
      {"list-config-keys", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &list_keys, nullptr,
       nullptr},
      {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, N_("Log debug messages"), nullptr},
      {"version", 'V', 0, G_OPTION_ARG_NONE, &version, N_("Print the version and exit"), nullptr},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  g_autoptr(GOptionContext) ctx = g_option_context_new(nullptr);
  g_option_context_set_translation_domain(ctx, GETTEXT_PACKAGE);
  g_option_context_set_summary(
      ctx, _("SASL-authenticating RFB (VNC) gateway for virtual machine consoles.\n"
             "Signals: SIGHUP reloads the configuration, SIGTERM stops."));
  g_option_context_add_main_entries(ctx, entries, GETTEXT_PACKAGE);
  g_autoptr(GError) err = nullptr;
  if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
    std::fprintf(stderr, "vncgated: %s\n", err->message);
    std::fprintf(stderr, _("Run 'vncgated --help' for usage.\n"));
    return 2;
  }
  if (version) {
    std::printf("vncgated %s\n", VNCGATE_VERSION);
    return 0;
  }
  if (list_keys) {
    for (const auto &[section, key] : vncgate::config_accepted_keys())
      std::printf("%s %s\n", section.c_str(), key.c_str());
    return 0;
  }
  if (argc > 1) {
    std::fprintf(stderr, _("vncgated: unexpected argument '%s'\n"), argv[1]);
    return 2;
  }
  if (config_path) options.config_path = config_path;
  options.verbose = verbose;
  options.check = check;
  return -1;
}

// Each session holds two sockets: take the hard descriptor limit, and say
// so when max-sessions still cannot fit, rather than failing accept() later.
void raise_descriptor_limit(const vncgate::Config &config) {
  struct rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
    getrlimit(RLIMIT_NOFILE, &nofile);
    rlim_t need = static_cast<rlim_t>(config.max_sessions) * 2 + 64;
    if (nofile.rlim_cur != RLIM_INFINITY && nofile.rlim_cur < need) {
      vncgate::log_warning("the open-file limit (" + std::to_string(nofile.rlim_cur) +
                           ") is below what max-sessions=" + std::to_string(config.max_sessions) +
                           " needs (" + std::to_string(need) + "): raise LimitNOFILE");
    }
  }
}

void apply_kerberos(const vncgate::Config &config) {
  vncgate::KerberosSettings krb{config.keytab, config.replay_cache};
  vncgate::kerberos_apply(krb);
  if (std::string w = vncgate::kerberos_check_keytab(krb); !w.empty()) vncgate::log_warning(w);
  if (!config.keytab.empty()) {
    if (std::string w = vncgate::kerberos_check_realm(config.realm); !w.empty())
      vncgate::log_warning(w);
  }
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

  Options options;
  if (int status = parse_options(argc, argv, options); status >= 0) return status;
  const std::string &path = options.config_path;

  vncgate::logging_init(options.verbose);
  vncgate::Config config;
  std::string error;
  if (!vncgate::load_config(path, config, error)) {
    vncgate::log_error(std::string("configuration refused: ") + error);
    return 1;
  }
  std::shared_ptr<vncgate::TlsCredentials> tls;
  if (config.tls_configured()) {
    vncgate::tls_global_init();
    tls = vncgate::TlsCredentials::load(config.tls, error);
    if (!tls) {
      vncgate::log_error(std::string("configuration refused: ") + path + ": [tls] " + error);
      return 1;
    }
  }
  if (options.check) {
    std::printf(g_dngettext(GETTEXT_PACKAGE, "%s: configuration OK (%zu console)\n",
                            "%s: configuration OK (%zu consoles)\n", config.consoles.size()),
                path.c_str(), config.consoles.size());
    return 0;
  }
  raise_descriptor_limit(config);
  apply_kerberos(config);
  if (std::string w = vncgate::sasldb_check(config.sasl_app_name); !w.empty())
    vncgate::log_warning(w);
  vncgate::sasl_server_set_keytab(config.keytab);
  if (!vncgate::sasl_server_global_init(config.sasl_app_name, error)) {
    vncgate::log_error(error);
    return 1;
  }
  int status;
  {
    vncgate::Daemon daemon(path, std::move(config), std::move(tls));
    if (!daemon.start()) {
      vncgate::sasl_server_global_done();
      return 1;
    }
    status = daemon.run();
  }
  vncgate::sasl_server_global_done();
  return status;
}
