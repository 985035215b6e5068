// [web]: the browser front's listener, TLS and allowed origins
// (vncgated.conf(5)).
#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "config_reader.h"
#include "printf_string.h"

namespace vncgate {
namespace {

bool loopback(const HostPort &hp) {
  g_autoptr(GInetAddress) a = g_inet_address_new_from_string(hp.host.c_str());
  return a && g_inet_address_get_is_loopback(a);
}

// "https://host[:port]": what a browser sends as Origin (no path, no slash).
bool valid_origin(const std::string &o) {
  if (!o.starts_with("https://") && !o.starts_with("http://")) return false;
  const std::string rest = o.substr(o.find("//") + 2);
  return !rest.empty() && rest.find_first_of("/?# \t") == std::string::npos;
}

}  // namespace

bool parse_web(const SectionReader &r, Config &c, std::string &error) {
  if (!r.only_known({"listen", "cert", "key", "allowed-origins", "novnc-dir"}, error)) return false;
  c.web = true;
  for (const auto &item : r.list("listen")) {
    std::string why;
    auto hp = parse_host_port(item, false, why);
    if (!hp) {
      error = r.where("listen") + ": " + why;
      return false;
    }
    c.web_listen.push_back(*hp);
  }
  if (c.web_listen.empty()) {
    error = r.where("listen") + ": " + _("the web front needs at least one address");
    return false;
  }
  if (!r.path("cert", c.web_cert, error) || !r.path("key", c.web_key, error) ||
      !r.path("novnc-dir", c.novnc_dir, error))
    return false;
  if (c.web_cert.empty() != c.web_key.empty()) {
    error = r.where("cert") + ": " + _("set both cert= and key=, or neither");
    return false;
  }
  // A token or a password crosses this socket: only loopback may be clear text.
  for (const auto &hp : c.web_listen) {
    if (c.web_cert.empty() && !loopback(hp)) {
      error = r.where("listen") + ": " +
              printf_string(_("%s is not a loopback address: set cert= and key= (wss only)"),
                            hp.to_string().c_str());
      return false;
    }
  }
  c.web_allowed_origins = r.list("allowed-origins");
  for (const auto &o : c.web_allowed_origins) {
    if (!valid_origin(o)) {
      error = r.where("allowed-origins") + ": " +
              printf_string(_("'%s' is not an origin like https://host:port"), o.c_str());
      return false;
    }
  }
  return true;
}

}  // namespace vncgate
