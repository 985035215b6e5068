// One user name and password checked by Cyrus SASL (sasl_checkpass), for
// the VeNCrypt Plain subtypes: the same application config, realm and
// password store (sasldb, saslauthd, LDAP through saslauthd) as a SASL
// PLAIN login, without a SASL exchange on the wire.
#pragma once

#include <string>

#include "rfb/parse.h"
#include "security/sasl_server.h"

namespace vncgate {

struct PasswordCheckResult {
  bool ok = false;
  std::string user;   // Cyrus' canonical name ("alice@REALM") when ok
  std::string error;  // the operator's detail when not (never the password)
};

// Blocking (a sasldb, saslauthd or LDAP lookup): run it as the handler's
// Work. Only service, realm and the addresses of `opts` are used.
PasswordCheckResult check_password(const SaslServerOptions &opts, const std::string &user,
                                   ByteSpan password);

}  // namespace vncgate
