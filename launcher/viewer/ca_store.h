// The CA certificates gtk-vnc trusts for VeNCrypt X509* sessions. gtk-vnc
// (1.3) reads its CA from exactly two files and has no API to pass one:
//   /etc/pki/CA/cacert.pem           (system)
//   ~/.pki/CA/cacert.pem             (per user; ~ is the passwd entry's home,
//                                     not $HOME)
// So --ca FILE can only check that FILE's certificates are in one of those,
// and --install-ca FILE adds them to the per-user file after showing each
// certificate's SHA-256 fingerprint.
#pragma once

#include <string>
#include <vector>

namespace vncgate::viewer {

struct CertInfo {
  std::string subject;
  std::string fingerprint;  // SHA-256 of the DER, "AB:CD:..."
  std::string pem;
  bool is_ca = false;
};

inline constexpr size_t kMaxCaFileSize = 1024 * 1024;

// Parses a PEM file of one or more certificates.
bool read_certificates(const std::string &path, std::vector<CertInfo> &certs, std::string &error);

std::string system_ca_path();  // /etc/pki/CA/cacert.pem
std::string user_ca_path();    // <passwd home>/.pki/CA/cacert.pem

// Whether every certificate of `path` is in the system or the user CA file.
bool ca_is_installed(const std::string &path, std::string &where, std::string &error);

// Adds the certificates of `path` to `dest` (made with its directories when
// missing; existing certificates kept; replaced atomically). `added` counts
// the certificates that were not there yet.
bool install_ca_file(const std::string &path, const std::string &dest, int &added,
                     std::string &error);

}  // namespace vncgate::viewer
