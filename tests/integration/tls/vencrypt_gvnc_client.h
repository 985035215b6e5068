// gtk-vnc (libgvnc-1.0) as a VeNCrypt client: it chooses security type 19
// and a wanted subtype (X509SASL 263, TLSSASL 264, X509None 260, ...),
// answers the X.509 "client name" credential (gtk-vnc then loads
// ~/.pki/<name>/clientcert.pem if it exists, see private_home.h) and the
// SASL user name and password. It is the shared GvncClient fixture with
// these choices; wait_settled() does not stop at an authentication failure.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gvnc_client.h"

namespace vncgate::it::tls {

inline constexpr unsigned kSecVeNCrypt = 19;
inline constexpr unsigned kSecSasl = 20;
inline constexpr unsigned kX509None = 260;
inline constexpr unsigned kX509Sasl = 263;
inline constexpr unsigned kTlsSasl = 264;

struct VencryptGvncOptions {
  uint16_t port = 0;
  std::string console;             // non-empty: "CONNECT /console/<console>" first
  std::string host = "localhost";  // what gtk-vnc checks the server certificate against
  unsigned auth_type = kSecVeNCrypt;
  unsigned subtype = kX509Sasl;
  // The X.509 "client name": gtk-vnc looks for ~/.pki/<name>/clientcert.pem.
  std::string client_name = "vncgate-test";
  std::string username;
  std::string password;
  bool wire_tap = false;
  bool raw_encoding = false;
  bool shared = true;  // ClientInit shared flag (false: Xvnc drops other clients)
};

// The shared GvncClient fixture, set up for VeNCrypt and answering with
// this client name, user and password.
class VencryptGvncClient : public GvncClient {
 public:
  explicit VencryptGvncClient(const VencryptGvncOptions &o);
};

}  // namespace vncgate::it::tls
