// parse_config on arbitrary text (and parse_host_port on its first line).
// A refused file gets a message naming it; an accepted one keeps the
// promises config.h makes.
#include <set>

#include "config.h"
#include "fuzz_check.h"
#include "rfb/http_connect.h"

using namespace vncgate;

namespace {

constexpr const char *kOrigin = "fuzz.conf";

void check_accepted(const Config &c) {
  FUZZ_CHECK(c.path == kOrigin);
  std::set<uint16_t> ports;
  for (const auto &l : c.listen) {
    FUZZ_CHECK(l.port != 0);
    ports.insert(l.port);
  }
  bool any_port = false;
  for (const auto &[name, con] : c.consoles) {
    FUZZ_CHECK(name == con.name && is_valid_console_name(name));
    FUZZ_CHECK(con.lpar_id.has_value() != con.backend.has_value());
    FUZZ_CHECK(!con.lpar_id || *con.lpar_id >= 0);
    FUZZ_CHECK(!con.backend || (con.backend->port != 0 && !con.backend->host.empty()));
    FUZZ_CHECK(con.backend_password_file.empty() || con.backend_password_file[0] == '/');
    if (con.port) {
      FUZZ_CHECK(*con.port != 0 && ports.insert(*con.port).second);
      any_port = true;
    }
    for (const auto &u : con.allowed_users) FUZZ_CHECK(!u.empty());
  }
  FUZZ_CHECK(!c.listen.empty() || any_port);
  FUZZ_CHECK(c.mkvterm[0] == '/' && c.rmvterm[0] == '/');
  FUZZ_CHECK(c.handshake_timeout >= 1 && c.handshake_timeout <= 3600);
  FUZZ_CHECK(c.auth_failure_delay >= 0 && c.auth_failure_delay <= 10);
  FUZZ_CHECK(c.allowed_clients.size() == c.allowed_clients_text.size());
}

void check_host_port(const std::string &text, bool allow_names) {
  std::string error;
  auto hp = parse_host_port(text, allow_names, error);
  if (!hp) {
    FUZZ_CHECK(!error.empty());
    return;
  }
  FUZZ_CHECK(hp->port != 0);
  FUZZ_CHECK(allow_names ? !hp->host.empty() : true);
  // to_string() is what logs and the audit print; it must read back.
  auto again = parse_host_port(hp->to_string(), allow_names, error);
  FUZZ_CHECK(again && *again == *hp);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  Config c;
  std::string error;
  if (parse_config(text, kOrigin, c, error)) {
    check_accepted(c);
    Config twice;
    FUZZ_CHECK(parse_config(text, kOrigin, twice, error) && twice.consoles == c.consoles);
  } else {
    FUZZ_CHECK(error.starts_with(std::string(kOrigin) + ": "));
  }
  std::string first_line = text.substr(0, text.find('\n'));
  check_host_port(first_line, false);
  check_host_port(first_line, true);
  return 0;
}
