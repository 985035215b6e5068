#include "kdc.h"

#include <csignal>

#include "raw_socket.h"
#include "wait.h"

namespace vncgate::it {

namespace {

using namespace std::chrono_literals;

constexpr auto kCommandTimeout = 20s;

}  // namespace

Kdc::~Kdc() {
  stop();
}

std::vector<std::string> Kdc::command(std::vector<std::string> argv) const {
  std::vector<std::string> out = {"env", "KRB5_CONFIG=" + krb5_conf(),
                                  "KRB5_KDC_PROFILE=" + kdc_conf()};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

void Kdc::write_config() {
  const std::string port = std::to_string(port_);
  write_file(krb5_conf(),
             "[libdefaults]\n"
             "    default_realm = TEST.LOCAL\n"
             "    dns_lookup_kdc = false\n"
             "    dns_lookup_realm = false\n"
             "    dns_canonicalize_hostname = false\n"
             "    rdns = false\n"
             "    ignore_acceptor_hostname = true\n"
             "    udp_preference_limit = 1\n"
             "    kdc_timesync = 0\n"
             "[realms]\n"
             "    TEST.LOCAL = {\n"
             "        kdc = 127.0.0.1:" +
                 port +
                 "\n"
                 "    }\n"
                 "[domain_realm]\n"
                 "    localhost = TEST.LOCAL\n"
                 "    127.0.0.1 = TEST.LOCAL\n");
  write_file(kdc_conf(),
             "[kdcdefaults]\n"
             "    kdc_listen = 127.0.0.1:" +
                 port +
                 "\n"
                 "    kdc_tcp_listen = 127.0.0.1:" +
                 port +
                 "\n"
                 "[realms]\n"
                 "    TEST.LOCAL = {\n"
                 "        database_name = " +
                 dir_.file("principal") +
                 "\n"
                 "        key_stash_file = " +
                 dir_.file("stash") +
                 "\n"
                 "        acl_file = " +
                 dir_.file("kadm5.acl") +
                 "\n"
                 "        max_life = 1h\n"
                 "        max_renewable_life = 0\n"
                 "    }\n"
                 "[logging]\n"
                 "    kdc = FILE:" +
                 dir_.file("kdc.log") + "\n");
  write_file(dir_.file("kadm5.acl"), "");
}

bool Kdc::start(std::string &error) {
  for (const char *tool : {"krb5kdc", "kdb5_util", "kadmin.local", "kinit", "klist"}) {
    if (find_program(tool).empty()) {
      error = std::string(tool) + " not found (packages krb5-kdc, krb5-admin-server, krb5-user)";
      return false;
    }
  }
  port_ = free_loopback_port();
  write_config();

  CommandResult r = run_command(
      command({find_program("kdb5_util"), "create", "-s", "-r", kKrbRealm, "-P", "master-Pw-0"}),
      "", kCommandTimeout);
  if (r.exit_code != 0) {
    error = "kdb5_util create failed: " + r.output;
    return false;
  }
  const std::vector<std::string> queries = {
      std::string("addprinc -pw ") + kKrbAlicePassword + " alice@TEST.LOCAL",
      std::string("addprinc -pw ") + kKrbBobPassword + " bob@TEST.LOCAL",
      std::string("addprinc -randkey ") + kKrbService,
      "addprinc -randkey host/localhost@TEST.LOCAL",
      "ktadd -k " + service_keytab() + " " + kKrbService,
      "ktadd -k " + wrong_keytab() + " host/localhost@TEST.LOCAL",
  };
  for (const auto &q : queries) {
    r = kadmin(q);
    if (r.exit_code != 0) {
      error = "kadmin.local -q '" + q + "' failed: " + r.output;
      return false;
    }
  }
  // The port was free a moment ago; if krb5kdc cannot bind it (TCP or the
  // UDP twin), take another port and rewrite the configuration.
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (start_server(error)) return true;
    stop();
    port_ = free_loopback_port();
    write_config();
  }
  return false;
}

bool Kdc::start_server(std::string &error) {
  if (server_.running()) return true;
  SpawnOptions options;
  options.argv = {find_program("krb5kdc"), "-n", "-P", dir_.file("kdc.pid")};
  options.env = {{"KRB5_CONFIG", krb5_conf()}, {"KRB5_KDC_PROFILE", kdc_conf()}};
  options.stdout_path = dir_.file("krb5kdc.out");
  options.stderr_path = dir_.file("krb5kdc.out");
  if (!server_.start(options, error)) return false;
  return wait_ready(error);
}

bool Kdc::wait_ready(std::string &error) {
  const std::string probe = "FILE:" + dir_.file("probe.ccache");
  std::string last;
  bool ok = wait_until(
      [&] {
        if (!server_.running()) return true;
        if (!port_accepts(port_)) return false;
        return kinit("alice@TEST.LOCAL", kKrbAlicePassword, probe, last);
      },
      10s, 20ms);
  if (ok && server_.running()) return true;
  error = "krb5kdc on 127.0.0.1:" + std::to_string(port_) + " did not answer kinit (" +
          (server_.running() ? "still running" : "exited") + "); last kinit: " + last +
          "\nkrb5kdc output:\n" + read_file(dir_.file("krb5kdc.out")) + "kdc.log:\n" + log();
  return false;
}

void Kdc::stop() {
  if (!server_.running()) return;
  server_.send_signal(SIGTERM);
  if (!server_.wait(5s)) server_.kill_and_reap();
}

std::string Kdc::log() const {
  return read_file(dir_.file("kdc.log"));
}

CommandResult Kdc::kadmin(const std::string &query) const {
  return run_command(command({find_program("kadmin.local"), "-r", kKrbRealm, "-q", query}), "",
                     kCommandTimeout);
}

bool Kdc::kinit(const std::string &principal, const std::string &password,
                const std::string &ccache, std::string &error, const std::string &lifetime) const {
  std::vector<std::string> argv = {find_program("kinit"), "-c", ccache};
  if (!lifetime.empty()) {
    argv.push_back("-l");
    argv.push_back(lifetime);
  }
  argv.push_back(principal);
  CommandResult r = run_command(command(argv), password + "\n", kCommandTimeout);
  if (r.exit_code == 0) return true;
  error = "kinit " + principal + " exited with " + std::to_string(r.exit_code) + ": " + r.output;
  return false;
}

bool Kdc::ccache_valid(const std::string &ccache) const {
  return run_command(command({find_program("klist"), "-s", "-c", ccache}), "", kCommandTimeout)
             .exit_code == 0;
}

std::string Kdc::klist(const std::string &ccache) const {
  return run_command(command({find_program("klist"), "-c", ccache}), "", kCommandTimeout).output;
}

}  // namespace vncgate::it
