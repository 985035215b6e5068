#include "qemu_tls_backend.h"

#include <filesystem>

#include "raw_socket.h"
#include "temp_dir.h"
#include "wait.h"

namespace vncgate::it::tls {

QemuTlsBackend::~QemuTlsBackend() {
  stop();
}

std::string QemuTlsBackend::log() const {
  return read_file(log_path_);
}

std::string QemuTlsBackend::trace() const {
  return read_file(trace_path_);
}

bool QemuTlsBackend::start(const std::string &dir, const std::string &ca, const CertKey &server,
                           std::string &error) {
  const std::string creds = dir + "/qemu-tls";
  std::filesystem::create_directories(creds);
  write_file(creds + "/ca-cert.pem", read_file(ca));
  write_file(creds + "/server-cert.pem", read_file(server.cert));
  write_file(creds + "/server-key.pem", read_file(server.key));
  log_path_ = dir + "/qemu.log";
  trace_path_ = dir + "/qemu-trace.log";
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_loopback_port();
    if (port_ <= 5900) continue;  // QEMU takes a display number: port - 5900
    SpawnOptions options;
    options.argv = {"qemu-system-x86_64",
                    "-nodefaults",
                    "-machine",
                    "pc,accel=tcg",
                    "-m",
                    "64",
                    "-vga",
                    "std",
                    "-display",
                    "none",
                    "-monitor",
                    "none",
                    "-serial",
                    "none",
                    "-object",
                    "tls-creds-x509,id=tls0,dir=" + creds + ",endpoint=server,verify-peer=no",
                    "-vnc",
                    "127.0.0.1:" + std::to_string(port_ - 5900) + ",tls-creds=tls0",
                    "-trace",
                    "vnc_auth*",
                    "-D",
                    trace_path_};
    options.stdout_path = log_path_;
    options.stderr_path = log_path_;
    if (!process_.start(options, error)) return false;
    bool up =
        wait_until([&] { return !process_.running() || port_accepts(port_); }, milliseconds(10000));
    if (up && process_.running()) return true;
    process_.kill_and_reap();  // lost the port to someone else: try another
  }
  error = "QEMU with tls-creds-x509 did not start: " + log();
  return false;
}

void QemuTlsBackend::stop() {
  process_.kill_and_reap();
}

}  // namespace vncgate::it::tls
