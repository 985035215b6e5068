// When gtk-vnc refuses a server certificate it says only that the check
// failed. To show the user *which* certificate was refused, the viewer
// opens a second connection of its own (CONNECT without the token, RFB
// 3.8, VeNCrypt with an X509 subtype), completes a TLS handshake that
// trusts nothing and only reads the server's certificate, then closes.
// Nothing is sent inside TLS; the result is only shown, never trusted.
#pragma once

#include <functional>
#include <string>

#include "link/console_link.h"

namespace vncgate::viewer {

struct PeerCertificate {
  std::string fingerprint;  // SHA-256 "AB:CD:...", empty when unknown
  std::string subject;
  std::string issuer;
  std::string error;  // why nothing could be read
};

// Runs asynchronously; `done` is called in the main context.
void probe_server_certificate(const ConsoleLink &link, std::function<void(PeerCertificate)> done);

// Blocking part, on an fd that has just finished the CONNECT preamble
// (or none, for plain VNC servers). Closes `fd`.
PeerCertificate read_certificate_over_vencrypt(int fd, const std::string &host);

// "SHA-256 fingerprint: ...\nSubject: ...\nIssued by: ..." (translated).
std::string describe_certificate(const PeerCertificate &cert);

}  // namespace vncgate::viewer
