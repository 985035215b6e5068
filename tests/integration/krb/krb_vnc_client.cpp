#include "krb_vnc_client.h"

namespace vncgate::it {
namespace {

GvncOptions to_gvnc(const KrbVncOptions &o) {
  GvncOptions g;
  g.port = o.port;
  g.console = o.console;
  g.host = o.host;
  g.username = o.username;
  g.password = o.password;
  g.wire_tap = o.wire_tap;
  g.auth_type = o.vencrypt_x509_sasl ? 19 : 20;
  g.subtype = 263;  // X509SASL
  g.client_name = "vncgate-krb-test";
  return g;
}

}  // namespace

KrbVncClient::KrbVncClient(const KrbVncOptions &o) : GvncClient(to_gvnc(o)) {}

}  // namespace vncgate::it
