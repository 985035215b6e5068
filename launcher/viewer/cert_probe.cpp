#include "cert_probe.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "gateway_connection.h"
#include "security_choice.h"
#include "socket_fd.h"

namespace vncgate::viewer {

namespace {

std::string dn_string(gnutls_x509_crt_t crt, bool issuer) {
  gnutls_datum_t dn{};
  int rc =
      issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0) : gnutls_x509_crt_get_dn3(crt, &dn, 0);
  if (rc != 0) return {};
  std::string s(reinterpret_cast<char *>(dn.data), dn.size);
  gnutls_free(dn.data);
  return s;
}

// RFB 3.8 and VeNCrypt 0.2 up to the start of TLS; an X509 subtype.
bool negotiate(int fd, std::string &error) {
  char version[12];
  if (!recv_exact(fd, version, sizeof version) || std::memcmp(version, "RFB 003.", 8) != 0) {
    error = "no RFB greeting";
    return false;
  }
  if (!send_all(fd, "RFB 003.008\n", 12)) return false;
  unsigned char count = 0;
  if (!recv_exact(fd, &count, 1) || count == 0) {
    error = "the server offered no security type";
    return false;
  }
  std::vector<unsigned char> types(count);
  if (!recv_exact(fd, types.data(), count)) return false;
  if (std::find(types.begin(), types.end(), rfb_security::kVeNCrypt) == types.end()) {
    error = "the server does not offer VeNCrypt";
    return false;
  }
  const unsigned char vencrypt = rfb_security::kVeNCrypt;
  unsigned char server_version[2];
  const unsigned char our_version[2] = {0, 2};
  unsigned char ok = 1;
  if (!send_all(fd, &vencrypt, 1) || !recv_exact(fd, server_version, 2) ||
      !send_all(fd, our_version, 2) || !recv_exact(fd, &ok, 1) || ok != 0) {
    error = "VeNCrypt version refused";
    return false;
  }
  unsigned char n = 0;
  if (!recv_exact(fd, &n, 1) || n == 0) return false;
  std::vector<unsigned char> raw(static_cast<size_t>(n) * 4);
  if (!recv_exact(fd, raw.data(), raw.size())) return false;
  std::vector<unsigned> subtypes;
  for (size_t i = 0; i < raw.size(); i += 4)
    subtypes.push_back((unsigned{raw[i]} << 24) | (unsigned{raw[i + 1]} << 16) |
                       (unsigned{raw[i + 2]} << 8) | raw[i + 3]);
  unsigned pick = 0;
  for (unsigned s : {rfb_security::kX509Sasl, rfb_security::kX509None, rfb_security::kX509Vnc,
                     rfb_security::kX509Plain})
    if (!pick && std::find(subtypes.begin(), subtypes.end(), s) != subtypes.end()) pick = s;
  if (!pick) {
    error = "the server offers no certificate-based VeNCrypt subtype";
    return false;
  }
  const unsigned char choice[4] = {
      static_cast<unsigned char>(pick >> 24), static_cast<unsigned char>(pick >> 16),
      static_cast<unsigned char>(pick >> 8), static_cast<unsigned char>(pick)};
  unsigned char accepted = 0;
  if (!send_all(fd, choice, 4) || !recv_exact(fd, &accepted, 1) || accepted != 1) {
    error = "VeNCrypt subtype refused";
    return false;
  }
  return true;
}

}  // namespace

PeerCertificate read_certificate_over_vencrypt(int fd, const std::string &host) {
  PeerCertificate out;
  // GIO made the socket non-blocking; this thread waits, with timeouts.
  set_blocking_with_timeout(fd, 5);
  if (!negotiate(fd, out.error)) {
    if (out.error.empty()) out.error = "the connection closed during the VeNCrypt negotiation";
    close_socket(fd);
    return out;
  }
  gnutls_session_t session = nullptr;
  gnutls_certificate_credentials_t creds = nullptr;
  gnutls_init(&session, GNUTLS_CLIENT);
  gnutls_set_default_priority(session);
  gnutls_certificate_allocate_credentials(&creds);
  gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, creds);
  if (!g_hostname_is_ip_address(host.c_str()))
    gnutls_server_name_set(session, GNUTLS_NAME_DNS, host.data(), host.size());
  gnutls_transport_set_int(session, fd);
  gnutls_handshake_set_timeout(session, 5000);
  int rc;
  do {
    rc = gnutls_handshake(session);
  } while (rc < 0 && !gnutls_error_is_fatal(rc));
  // Even a failed handshake has usually received the certificate.
  unsigned n = 0;
  const gnutls_datum_t *certs = gnutls_certificate_get_peers(session, &n);
  if (certs && n > 0) {
    unsigned char fp[32];
    size_t size = sizeof fp;
    if (gnutls_fingerprint(GNUTLS_DIG_SHA256, &certs[0], fp, &size) == 0)
      for (size_t i = 0; i < size; ++i) {
        char hex[4];
        std::snprintf(hex, sizeof hex, i ? ":%02X" : "%02X", fp[i]);
        out.fingerprint += hex;
      }
    gnutls_x509_crt_t crt;
    if (gnutls_x509_crt_init(&crt) == 0) {
      if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) == 0) {
        out.subject = dn_string(crt, false);
        out.issuer = dn_string(crt, true);
      }
      gnutls_x509_crt_deinit(crt);
    }
  } else {
    out.error = rc < 0 ? gnutls_strerror(rc) : "the server sent no certificate";
  }
  gnutls_deinit(session);
  gnutls_certificate_free_credentials(creds);
  close_socket(fd);
  return out;
}

void probe_server_certificate(const ConsoleLink &link, std::function<void(PeerCertificate)> done) {
  const std::string host = link.host;
  GatewayJob::start(link, false, AuthHint::None, [host, done](GatewayResult r) {
    if (r.fd < 0) {
      PeerCertificate failed;
      failed.error = r.message;
      done(failed);
      return;
    }
    struct Work {
      int fd;
      std::string host;
      std::function<void(PeerCertificate)> done;
      PeerCertificate result;
    };
    auto *work = new Work{r.fd, host, done, {}};
    GTask *task = g_task_new(
        nullptr, nullptr,
        [](GObject *, GAsyncResult *res, gpointer data) {
          auto *w = static_cast<Work *>(data);
          (void)res;
          w->done(w->result);
          delete w;
        },
        work);
    g_task_set_task_data(task, work, nullptr);
    g_task_run_in_thread(task, [](GTask *t, gpointer, gpointer data, GCancellable *) {
      auto *w = static_cast<Work *>(data);
      w->result = read_certificate_over_vencrypt(w->fd, w->host);
      g_task_return_boolean(t, TRUE);
    });
    g_object_unref(task);
  });
}

std::string describe_certificate(const PeerCertificate &c) {
  if (c.fingerprint.empty())
    return std::string(_("The server's certificate could not be read:")) + " " + c.error;
  std::string s = std::string(_("SHA-256 fingerprint:")) + " " + c.fingerprint;
  if (!c.subject.empty()) s += "\n" + std::string(_("Subject:")) + " " + c.subject;
  if (!c.issuer.empty()) s += "\n" + std::string(_("Issued by:")) + " " + c.issuer;
  return s;
}

}  // namespace vncgate::viewer
