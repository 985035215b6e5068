#include "security/sasldb_check.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "security/mechanism_hint.h"

namespace vncgate {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Cyrus separates list items with blanks.
bool any_word(std::string_view list, bool (*pred)(std::string_view)) {
  size_t pos = 0;
  while (pos < list.size()) {
    size_t end = list.find_first_of(" \t", pos);
    if (end == std::string_view::npos) end = list.size();
    if (end > pos && pred(list.substr(pos, end - pos))) return true;
    pos = end + 1;
  }
  return false;
}

bool is_sasldb(std::string_view word) {
  return word == "sasldb";
}

bool uses_password(std::string_view mech) {
  return !is_kerberos_mechanism(mech) && mech != "EXTERNAL" && mech != "external";
}

}  // namespace

SasldbUse sasldb_use_from_config(std::string_view text) {
  SasldbUse use;
  bool password_mechs = true;
  bool auxprop_sasldb = true;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    line = trim(line);
    const size_t colon = line.find(':');
    if (line.empty() || line.front() == '#' || colon == std::string_view::npos) continue;
    const std::string_view key = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    if (key == "mech_list")
      password_mechs = any_word(value, uses_password);
    else if (key == "auxprop_plugin")
      auxprop_sasldb = any_word(value, is_sasldb);
    else if (key == "sasldb_path" && !value.empty())
      use.path = std::string(value);
  }
  use.used = password_mechs && auxprop_sasldb;
  return use;
}

std::string find_sasl_app_config(const std::string &app_name, std::string_view search_path) {
  while (!search_path.empty()) {
    const size_t colon = search_path.find(':');
    const std::string_view dir = search_path.substr(0, colon);
    search_path =
        colon == std::string_view::npos ? std::string_view{} : search_path.substr(colon + 1);
    if (dir.empty()) continue;
    std::string candidate = std::string(dir) + "/" + app_name + ".conf";
    if (access(candidate.c_str(), F_OK) == 0) return candidate;
  }
  return {};
}

std::string sasldb_check(const std::string &app_name, std::string_view search_path) {
  if (search_path.empty()) {
    const char *env = std::getenv("SASL_CONF_PATH");
    search_path = env && *env ? std::string_view(env) : kCyrusConfigPath;
  }
  const std::string config = find_sasl_app_config(app_name, search_path);
  SasldbUse use;
  if (!config.empty()) {
    std::ifstream in(config);
    std::ostringstream text;
    text << in.rdbuf();
    use = sasldb_use_from_config(text.str());
  }
  if (!use.used) return {};
  const std::string origin = config.empty() ? "the Cyrus default" : "sasldb_path in " + config;
  const std::string tail = ": password (DIGEST-MD5, SCRAM) logins will fail";
  // Root passes access(R_OK) on any mode: open it, and refuse what is not a
  // regular file, as Berkeley DB would.
  struct stat st;
  if (stat(use.path.c_str(), &st) != 0)
    return "sasldb " + use.path + " (" + origin + ") cannot be read: " + std::strerror(errno) +
           tail;
  if (!S_ISREG(st.st_mode))
    return "sasldb " + use.path + " (" + origin + ") is not a regular file" + tail;
  const int fd = open(use.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return "sasldb " + use.path + " (" + origin +
           ") is not readable by vncgated: " + std::strerror(errno) + tail;
  close(fd);
  return {};
}

}  // namespace vncgate
