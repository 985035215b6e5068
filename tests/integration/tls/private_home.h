// gtk-vnc reads its X.509 files only from fixed places: the CA from
// /etc/pki/CA/cacert.pem or ~/.pki/CA/cacert.pem, a client certificate
// from ~/.pki/<clientname>/clientcert.pem and private/clientkey.pem, where
// ~ is the passwd entry's home (not $HOME). The TLS test executables
// therefore run in a private mount namespace with an empty tmpfs over that
// home (and over /etc/pki when it exists), so each test can install its own
// files there without touching the real home directory.
#pragma once

#include <string>

namespace vncgate::it::tls {

// Must be called first in main(), before any thread exists: unshare the
// mount namespace, make every mount private (nothing propagates back) and
// mount an empty tmpfs over the home directory. False with `error` when
// that is not possible (not root, no CAP_SYS_ADMIN).
bool enter_private_home(std::string &error);

// True once enter_private_home() succeeded in this process.
bool private_home_active();
// The passwd home of this user: a private tmpfs when active.
const std::string &private_home();

// gtk-vnc's view of the PKI (only while private_home_active()):
// ~/.pki/CA/cacert.pem
void install_gvnc_ca(const std::string &ca_pem);
// ~/.pki/<name>/clientcert.pem and ~/.pki/<name>/private/clientkey.pem
void install_gvnc_client_cert(const std::string &name, const std::string &cert_pem,
                              const std::string &key_pem);
// Removes ~/.pki entirely.
void clear_gvnc_pki();

}  // namespace vncgate::it::tls
