// What the daemon keeps across restarts, in [gateway] state-dir: link
// tokens (tokens.json), consoles added through the control API
// (consoles.json) and the vterms it opened (vterms.json, so a restart after
// a crash closes them). Each file is rewritten whole and atomically; an
// empty directory setting keeps everything in memory only.
//
// The saving calls return false when the file could not be written (the
// reason is logged): callers fail closed on it (no link is minted that a
// restart would forget, a revocation that would not survive is reported).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "config.h"
#include "control/token_store.h"

namespace vncgate {

// A vterm opened by mkvterm: console name and LPAR id.
using OpenedVterm = std::pair<std::string, int>;

class StateStore {
 public:
  // The directory files are read from and written to; "" = not kept.
  void set_dir(std::string dir) { dir_ = std::move(dir); }
  // Reads tokens.json and consoles.json (a broken file is logged and ignored).
  void load();

  TokenStore &tokens() { return tokens_; }
  const TokenStore &tokens() const { return tokens_; }
  // Prunes tokens that are past use and saves them.
  bool save_tokens(int64_t now);

  const std::map<std::string, ConsoleConfig> &runtime_consoles() const { return consoles_; }
  bool has_runtime_console(const std::string &name) const { return consoles_.count(name) > 0; }
  // Adds or replaces a console and saves the list; `replaced` tells which.
  bool put_runtime_console(const ConsoleConfig &c, bool &replaced);
  // Removes a console and saves the list; false when it is unknown.
  bool erase_runtime_console(const std::string &name);

  void save_vterms(const std::vector<OpenedVterm> &vterms);
  // The vterms a previous run left open (vterms.json), for adoption.
  std::vector<OpenedVterm> load_vterms() const;

 private:
  bool save(const char *name, const std::string &text);
  bool read(const char *name, std::string &text) const;
  bool save_consoles();
  void load_consoles(const std::string &text, const std::string &path);

  std::string dir_;
  TokenStore tokens_;
  std::map<std::string, ConsoleConfig> consoles_;
};

}  // namespace vncgate
