#include "config_reader.h"

#include <glib/gi18n-lib.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "printf_string.h"

namespace vncgate {

bool SectionReader::has(const char *key) const {
  return g_key_file_has_key(kf_, section_.c_str(), key, nullptr);
}

std::string SectionReader::raw(const char *key) const {
  g_autofree gchar *v = g_key_file_get_string(kf_, section_.c_str(), key, nullptr);
  std::string s = v ? v : "";
  // Trim surrounding white space; GKeyFile keeps trailing blanks.
  auto not_space = [](unsigned char c) { return !g_ascii_isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

std::vector<std::string> SectionReader::list(const char *key) const {
  std::vector<std::string> out;
  std::string v = raw(key);
  gchar **parts = g_strsplit_set(v.c_str(), ";,", -1);
  for (gchar **p = parts; *p; ++p) {
    gchar *t = g_strstrip(*p);
    if (*t) out.emplace_back(t);
  }
  g_strfreev(parts);
  return out;
}

bool SectionReader::uint_in(const char *key, unsigned lo, unsigned hi, unsigned &out,
                            std::string &error) const {
  if (!has(key)) return true;
  std::string v = raw(key);
  char *end = nullptr;
  errno = 0;
  unsigned long long n = v.empty() || v[0] == '-' ? 0 : std::strtoull(v.c_str(), &end, 10);
  if (v.empty() || v[0] == '-' || errno || !end || *end || n < lo || n > hi) {
    error = where(key) + ": " +
            printf_string(_("expected a whole number from %u to %u, got '%s'"), lo, hi, v.c_str());
    return false;
  }
  out = static_cast<unsigned>(n);
  return true;
}

bool SectionReader::seconds(const char *key, double lo, double hi, double &out,
                            std::string &error) const {
  if (!has(key)) return true;
  std::string v = raw(key);
  char *end = nullptr;
  double d = g_ascii_strtod(v.c_str(), &end);
  if (v.empty() || !end || *end || !(d >= lo && d <= hi)) {
    error = where(key) + ": " +
            printf_string(_("expected seconds from %g to %g, got '%s'"), lo, hi, v.c_str());
    return false;
  }
  out = d;
  return true;
}

bool SectionReader::boolean(const char *key, bool &out, std::string &error) const {
  if (!has(key)) return true;
  std::string v = raw(key);
  if (v == "true" || v == "yes" || v == "1") {
    out = true;
  } else if (v == "false" || v == "no" || v == "0") {
    out = false;
  } else {
    error = where(key) + ": " + printf_string(_("expected true or false, got '%s'"), v.c_str());
    return false;
  }
  return true;
}

bool SectionReader::path(const char *key, std::string &out, std::string &error) const {
  if (!has(key)) return true;
  std::string v = raw(key);
  if (v.empty() || v[0] != '/') {
    error = where(key) + ": " + printf_string(_("expected an absolute path, got '%s'"), v.c_str());
    return false;
  }
  out = v;
  return true;
}

bool SectionReader::only_known(std::initializer_list<const char *> known,
                               std::string &error) const {
  if (collect_) {
    // config_accepted_keys(): report the list and stop before any value is read.
    for (const char *k : known) collect_->push_back(k);
    return false;
  }
  gsize n = 0;
  gchar **keys = g_key_file_get_keys(kf_, section_.c_str(), &n, nullptr);
  bool ok = true;
  for (gsize i = 0; keys && i < n && ok; ++i) {
    bool found = std::any_of(known.begin(), known.end(),
                             [&](const char *k) { return g_strcmp0(k, keys[i]) == 0; });
    if (!found) {
      error = where(keys[i]) + ": " + _("unknown key");
      ok = false;
    }
  }
  g_strfreev(keys);
  return ok;
}

std::string SectionReader::where(const char *key) const {
  std::string w = origin_ + ": [" + section_ + "]";
  return *key ? w + " " + key : w;
}

std::string HostPort::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return (host.empty() ? "*" : host) + ":" + std::to_string(port);
}

std::optional<HostPort> parse_host_port(const std::string &text, bool allow_names,
                                        std::string &error) {
  HostPort hp;
  std::string port;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      error = printf_string(_("'%s' is not [IPv6]:PORT"), text.c_str());
      return std::nullopt;
    }
    hp.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (!g_hostname_is_ip_address(hp.host.c_str()) || hp.host.find(':') == std::string::npos) {
      error = printf_string(_("'%s' is not an IPv6 address"), hp.host.c_str());
      return std::nullopt;
    }
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon) {
      error = printf_string(_("'%s' is not HOST:PORT (write IPv6 addresses as [ADDR]:PORT)"),
                            text.c_str());
      return std::nullopt;
    }
    hp.host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (hp.host == "*") {
      if (allow_names) {
        error = _("'*' is not a backend host");
        return std::nullopt;
      }
      hp.host.clear();
    } else if (!g_hostname_is_ip_address(hp.host.c_str())) {
      bool name_ok = allow_names && !hp.host.empty() && hp.host[0] != '-' &&
                     std::all_of(hp.host.begin(), hp.host.end(), [](char ch) {
                       return g_ascii_isalnum(ch) || ch == '-' || ch == '.';
                     });
      if (!name_ok) {
        error = allow_names
                    ? printf_string(_("'%s' is not a host name or IP address"), hp.host.c_str())
                    : printf_string(_("'%s' is not an IP address or '*'"), hp.host.c_str());
        return std::nullopt;
      }
    }
  }
  char *end = nullptr;
  unsigned long n =
      port.empty() || !g_ascii_isdigit(port[0]) ? 0 : std::strtoul(port.c_str(), &end, 10);
  if (port.empty() || !end || *end || n < 1 || n > 65535) {
    error = printf_string(_("'%s' is not a port number (1-65535)"), port.c_str());
    return std::nullopt;
  }
  hp.port = static_cast<uint16_t>(n);
  return hp;
}

}  // namespace vncgate
