#include "vencrypt_gvnc_client.h"

namespace vncgate::it::tls {
namespace {

GvncOptions to_gvnc(const VencryptGvncOptions &o) {
  GvncOptions g;
  g.port = o.port;
  g.console = o.console;
  g.host = o.host;
  g.username = o.username;
  g.password = o.password;
  g.wire_tap = o.wire_tap;
  g.raw_encoding = o.raw_encoding;
  g.shared = o.shared;
  g.auth_type = o.auth_type;
  g.subtype = o.subtype;
  g.client_name = o.client_name;
  g.settle_on_auth_failure = false;
  return g;
}

}  // namespace

VencryptGvncClient::VencryptGvncClient(const VencryptGvncOptions &o) : GvncClient(to_gvnc(o)) {}

}  // namespace vncgate::it::tls
