// QEMU (no disk: SeaBIOS "No bootable device.", 720x400, desktop "QEMU")
// whose VNC server requires TLS: -object tls-creds-x509 with the given
// CA, server certificate and key (copied into a credentials directory as
// ca-cert.pem, server-cert.pem, server-key.pem), no client certificate
// check, no password. QEMU then offers VeNCrypt X509None only. Its
// vnc_auth* trace events go to a log, so a test can see the subtype
// vncgated chose. Started on a free port, waited for, killed by the
// destructor.
#pragma once

#include <cstdint>
#include <string>

#include "subprocess.h"
#include "test_pki.h"

namespace vncgate::it::tls {

class QemuTlsBackend {
 public:
  QemuTlsBackend() = default;
  ~QemuTlsBackend();
  QemuTlsBackend(const QemuTlsBackend &) = delete;
  QemuTlsBackend &operator=(const QemuTlsBackend &) = delete;

  // `dir` receives the credentials directory, qemu.log and trace.log.
  bool start(const std::string &dir, const std::string &ca, const CertKey &server,
             std::string &error);
  void stop();

  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const;    // QEMU's output
  std::string trace() const;  // vnc_auth* trace events

 private:
  Subprocess process_;
  uint16_t port_ = 0;
  std::string log_path_, trace_path_;
};

}  // namespace vncgate::it::tls
