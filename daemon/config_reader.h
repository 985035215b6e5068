// The pieces of the configuration parser shared by its section parsers
// (config.cpp, config_console.cpp): a typed reader of one key-file section.
// Internal to the daemon; the public interface is config.h.
#pragma once

#include <glib.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "config.h"

namespace vncgate {

// The reasons are translated (an operator reads them from --check-config or
// the start-up error); what names the place ("file: [section] key") and the
// fixed log prefixes around them stay as written.
// Reads one key with a typed parser; every message names file, section, key.
class SectionReader {
 public:
  SectionReader(GKeyFile *kf, std::string origin, std::string section)
      : kf_(kf), origin_(std::move(origin)), section_(std::move(section)) {}

  bool has(const char *key) const;
  // The value with surrounding blanks trimmed; "" when the key is absent.
  std::string raw(const char *key) const;
  // A ';'- or ','-separated list, blank items dropped.
  std::vector<std::string> list(const char *key) const;
  // Each typed reader keeps `out` when the key is absent and fails with a
  // message naming the key when the value is out of range.
  bool uint_in(const char *key, unsigned lo, unsigned hi, unsigned &out, std::string &error) const;
  bool seconds(const char *key, double lo, double hi, double &out, std::string &error) const;
  bool boolean(const char *key, bool &out, std::string &error) const;
  bool path(const char *key, std::string &out, std::string &error) const;
  // Refuses a key not in `known`; in collecting mode reports `known` instead.
  bool only_known(std::initializer_list<const char *> known, std::string &error) const;

  // Makes only_known() append its keys to `out` and refuse the section.
  void collect_into(std::vector<std::string> *out) { collect_ = out; }

  std::string where(const char *key) const;

 private:
  GKeyFile *kf_;
  std::string origin_;
  std::string section_;
  std::vector<std::string> *collect_ = nullptr;
};

// [tls] and [console:NAME] subtypes = x509-sasl, ...
bool parse_subtypes(const SectionReader &r, std::vector<uint32_t> &out, std::string &error);
// [console:NAME] (config_console.cpp).
bool parse_console(const SectionReader &r, const std::string &name, Config &c, std::string &error);
// [cluster] (cluster/config_cluster.cpp).
bool parse_cluster(const SectionReader &r, Config &c, std::string &error);
// [web] (web/web_config.cpp).
bool parse_web(const SectionReader &r, Config &c, std::string &error);
// Cross-checks of [tls] against the consoles, after every section is read.
bool check_tls(const Config &c, const std::string &origin, std::string &error);

}  // namespace vncgate
