// A private MIT Kerberos KDC for the GSSAPI tests (the recipe of the
// project's test-peers notes): realm TEST.LOCAL in a temporary directory, krb5kdc
// on a free loopback port (TCP; clients never use UDP), principals for two
// users (alice, bob), the service vnc/localhost in a keytab, and a second
// keytab with only host/localhost (a "wrong" keytab for the service).
// Every command is bounded; stop() and the destructor kill krb5kdc.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "subprocess.h"
#include "temp_dir.h"

namespace vncgate::it {

inline constexpr const char *kKrbRealm = "TEST.LOCAL";
inline constexpr const char *kKrbAlicePassword = "alice-Krb-Pw1";
inline constexpr const char *kKrbBobPassword = "bob-Krb-Pw2";
// The service principal gtk-vnc asks for when given the host "localhost".
inline constexpr const char *kKrbService = "vnc/localhost@TEST.LOCAL";

class Kdc {
 public:
  Kdc() = default;
  ~Kdc();
  Kdc(const Kdc &) = delete;
  Kdc &operator=(const Kdc &) = delete;

  // Creates the database, principals and keytabs, starts krb5kdc and waits
  // (bounded) until a kinit succeeds. False with `error` (incl. logs).
  bool start(std::string &error);
  // Kills krb5kdc (the database stays, so start_server() can bring it back).
  void stop();
  bool start_server(std::string &error);
  bool running() { return server_.running(); }

  uint16_t port() const { return port_; }
  const std::string &dir() const { return dir_.path(); }
  std::string krb5_conf() const { return dir_.file("krb5.conf"); }
  std::string kdc_conf() const { return dir_.file("kdc.conf"); }
  // Holds vnc/localhost@TEST.LOCAL.
  std::string service_keytab() const { return dir_.file("vnc.keytab"); }
  // Holds only host/localhost@TEST.LOCAL: no key for the vnc service.
  std::string wrong_keytab() const { return dir_.file("host-only.keytab"); }
  std::string log() const;

  // kadmin.local -q QUERY; the command's result.
  CommandResult kadmin(const std::string &query) const;
  // kinit PRINCIPAL into CCACHE ("FILE:/path"), password on stdin;
  // `lifetime` e.g. "3s" (empty: the default). False with kinit's output.
  bool kinit(const std::string &principal, const std::string &password, const std::string &ccache,
             std::string &error, const std::string &lifetime = {}) const;
  // klist -s: true while CCACHE holds a valid (unexpired) TGT.
  bool ccache_valid(const std::string &ccache) const;
  // klist output (for messages).
  std::string klist(const std::string &ccache) const;

  // argv prefix "env KRB5_CONFIG=... KRB5_KDC_PROFILE=..." for commands.
  std::vector<std::string> command(std::vector<std::string> argv) const;

 private:
  void write_config();
  bool wait_ready(std::string &error);

  TempDir dir_;
  Subprocess server_;
  uint16_t port_ = 0;
};

}  // namespace vncgate::it
