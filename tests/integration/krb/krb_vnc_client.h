// gtk-vnc (libgvnc-1.0) as a Kerberos client: the shared GvncClient, which
// records every credential gtk-vnc asks for (single sign-on must ask for
// none), taking VeNCrypt X509SASL instead of plain SASL when asked, so
// GSSAPI runs inside X.509 TLS. GSSAPI takes the ticket from $KRB5CCNAME.
// Runs in the default GMainContext with bounded waits only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gvnc_client.h"

namespace vncgate::it {

struct KrbVncOptions {
  uint16_t port = 0;
  std::string console;              // non-empty: "CONNECT /console/<console>" first
  std::string host = "localhost";   // gtk-vnc asks for the ticket vnc/<host>
  bool vencrypt_x509_sasl = false;  // choose VeNCrypt (19) + X509SASL (263), not SASL (20)
  bool wire_tap = false;
  // Answers if gtk-vnc asks anyway (recorded in credential_requests()).
  std::string username;
  std::string password;
};

// The shared GvncClient fixture, choosing SASL or VeNCrypt X509SASL.
class KrbVncClient : public GvncClient {
 public:
  explicit KrbVncClient(const KrbVncOptions &o);
};

}  // namespace vncgate::it
