#include "tls_probe.h"

#include <arpa/inet.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>

#include "raw_socket.h"

namespace vncgate::it::tls {

namespace {

uint32_t be32(const std::string &s, size_t at = 0) {
  uint32_t v;
  std::memcpy(&v, s.data() + at, 4);
  return ntohl(v);
}

std::string u32be(uint32_t v) {
  v = htonl(v);
  return std::string(reinterpret_cast<const char *>(&v), 4);
}

// GnuTLS objects freed in one place.
struct Gnutls {
  gnutls_session_t session = nullptr;
  gnutls_certificate_credentials_t cert = nullptr;
  gnutls_anon_client_credentials_t anon = nullptr;
  // A client certificate handed over unconditionally (force_client_cert).
  gnutls_pcert_st pcerts[4];
  unsigned npcerts = 0;
  gnutls_privkey_t key = nullptr;
  ~Gnutls() {
    if (session) gnutls_deinit(session);
    if (cert) gnutls_certificate_free_credentials(cert);
    if (anon) gnutls_anon_free_client_credentials(anon);
    for (unsigned i = 0; i < npcerts; ++i) gnutls_pcert_deinit(&pcerts[i]);
    if (key) gnutls_privkey_deinit(key);
  }
  bool load_forced(const CertKey &ck) {
    npcerts = 4;
    if (gnutls_pcert_list_import_x509_file(pcerts, &npcerts, ck.cert.c_str(), GNUTLS_X509_FMT_PEM,
                                           nullptr, nullptr, 0) < 0) {
      npcerts = 0;
      return false;
    }
    gnutls_datum_t data = {nullptr, 0};
    if (gnutls_load_file(ck.key.c_str(), &data) < 0) return false;
    gnutls_privkey_init(&key);
    int rc = gnutls_privkey_import_x509_raw(key, &data, GNUTLS_X509_FMT_PEM, nullptr, 0);
    gnutls_free(data.data);
    return rc == 0;
  }
  static int retrieve(gnutls_session_t s, const gnutls_datum_t *, int,
                      const gnutls_pk_algorithm_t *, int, gnutls_pcert_st **pcert,
                      unsigned *pcert_length, gnutls_privkey_t *pkey) {
    auto *self = static_cast<Gnutls *>(gnutls_session_get_ptr(s));
    *pcert = self->pcerts;
    *pcert_length = self->npcerts;
    *pkey = self->key;
    return 0;
  }
};

// Reads exactly n bytes of TLS application data.
bool tls_read_exact(gnutls_session_t s, size_t n, std::string &out, std::string &error) {
  size_t start = out.size();
  out.resize(start + n);
  size_t got = 0;
  while (got < n) {
    ssize_t r = gnutls_record_recv(s, out.data() + start + got, n - got);
    if (r == GNUTLS_E_INTERRUPTED) continue;
    if (r == 0) {
      error = "the server closed the TLS session";
      out.resize(start + got);
      return false;
    }
    if (r < 0) {
      error = r == GNUTLS_E_AGAIN
                  ? std::string("timed out inside TLS")
                  : std::string("TLS read: ") + gnutls_strerror(static_cast<int>(r));
      out.resize(start + got);
      return false;
    }
    got += static_cast<size_t>(r);
  }
  return true;
}

// TLSNone, TLSVnc, TLSPlain and TLSSASL use anonymous Diffie-Hellman.
bool is_anonymous(uint32_t subtype) {
  return (subtype >= 257 && subtype <= 259) || subtype == 264;
}
bool is_sasl(uint32_t subtype) {
  return subtype == 263 || subtype == 264;
}

}  // namespace

TlsProbeResult probe_vencrypt(const TlsProbeOptions &o) {
  TlsProbeResult r;
  RawSocket sock;
  std::string error;
  if (!sock.connect(o.port, error)) {
    r.error = error;
    return r;
  }
  const int t = o.timeout_ms;
  if (!o.console.empty()) {
    std::string head;
    if (!sock.send("CONNECT /console/" + o.console + " HTTP/1.1\r\nHost: localhost\r\n\r\n",
                   error) ||
        !sock.read_until("\r\n\r\n", head, t)) {
      r.error = "no complete CONNECT answer: '" + head + "'";
      return r;
    }
    if (head.starts_with("HTTP/1.") && head.size() >= 12)
      r.http_status = std::atoi(head.c_str() + 9);
    if (r.http_status != 200) {
      r.error = "CONNECT answered: " + head.substr(0, head.find("\r\n"));
      return r;
    }
  }
  std::string in;
  if (!sock.read_exact(12, in, t) || in != "RFB 003.008\n") {
    r.error = "no RFB 3.8 ProtocolVersion: '" + in + "'";
    return r;
  }
  in.clear();
  if (!sock.send("RFB 003.008\n", error) || !sock.read_exact(1, in, t)) {
    r.error = "no security types";
    return r;
  }
  if (in[0] == 0) {
    // A refusal: u32 length + reason.
    in.clear();
    if (sock.read_exact(4, in, t) && be32(in) < 4096) {
      const uint32_t len = be32(in);
      in.clear();
      if (sock.read_exact(len, in, t)) r.refusal_reason = in;
    }
    r.error = "no security types offered";
    return r;
  }
  const size_t ntypes = static_cast<uint8_t>(in[0]);
  in.clear();
  if (!sock.read_exact(ntypes, in, t)) {
    r.error = "short security type list";
    return r;
  }
  r.types.assign(in.begin(), in.end());
  in.clear();
  if (!sock.send(std::string(1, '\x13'), error) || !sock.read_exact(2, in, t) ||
      in != std::string("\x00\x02", 2)) {
    r.error = "no VeNCrypt 0.2 version";
    return r;
  }
  in.clear();
  if (!sock.send(std::string("\x00\x02", 2), error) || !sock.read_exact(2, in, t) || in[0] != 0) {
    r.error = "VeNCrypt version refused";
    return r;
  }
  const size_t nsub = static_cast<uint8_t>(in[1]);
  in.clear();
  if (!sock.read_exact(4 * nsub, in, t)) {
    r.error = "short VeNCrypt subtype list";
    return r;
  }
  for (size_t i = 0; i < nsub; ++i) r.subtypes.push_back(be32(in, 4 * i));
  in.clear();
  if (!sock.send(u32be(o.subtype), error) || !sock.read_exact(1, in, t)) {
    r.error = "no answer to the subtype choice";
    return r;
  }
  r.subtype_accepted = in[0] == 1;
  if (!r.subtype_accepted) {
    r.error = "subtype refused";
    return r;
  }

  // TLS on the blocking socket; the timeouts bound every read and write.
  timeval tv{t / 1000, (t % 1000) * 1000};
  setsockopt(sock.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(sock.fd(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  Gnutls g;
  gnutls_init(&g.session, GNUTLS_CLIENT);
  const bool anon = is_anonymous(o.subtype);
  if (anon) {
    gnutls_priority_set_direct(g.session, "NORMAL:+ANON-ECDH:+ANON-DH", nullptr);
    gnutls_anon_allocate_client_credentials(&g.anon);
    gnutls_credentials_set(g.session, GNUTLS_CRD_ANON, g.anon);
  } else {
    gnutls_priority_set_direct(g.session, "NORMAL", nullptr);
    gnutls_certificate_allocate_credentials(&g.cert);
    if (!o.ca.empty() &&
        gnutls_certificate_set_x509_trust_file(g.cert, o.ca.c_str(), GNUTLS_X509_FMT_PEM) <= 0) {
      r.error = "cannot load CA " + o.ca;
      return r;
    }
    if (o.force_client_cert) {
      if (!g.load_forced(o.client)) {
        r.error = "cannot load client certificate " + o.client.cert;
        return r;
      }
      gnutls_session_set_ptr(g.session, &g);
      gnutls_certificate_set_retrieve_function2(g.cert, &Gnutls::retrieve);
    } else if (!o.client.cert.empty() &&
               gnutls_certificate_set_x509_key_file(
                   g.cert, o.client.cert.c_str(), o.client.key.c_str(), GNUTLS_X509_FMT_PEM) < 0) {
      r.error = "cannot load client certificate " + o.client.cert;
      return r;
    }
    gnutls_credentials_set(g.session, GNUTLS_CRD_CERTIFICATE, g.cert);
    if (!o.ca.empty()) gnutls_session_set_verify_cert(g.session, o.verify_host.c_str(), 0);
  }
  gnutls_transport_set_int(g.session, sock.fd());
  gnutls_handshake_set_timeout(g.session, static_cast<unsigned>(t));
  int rc;
  do {
    rc = gnutls_handshake(g.session);
  } while (rc < 0 && !gnutls_error_is_fatal(rc) && rc != GNUTLS_E_AGAIN);
  if (rc < 0) {
    // Tell the server why, as TLS clients do, and let it close first so
    // that nothing it sent is left unread (which would reset the connection).
    gnutls_alert_send_appropriate(g.session, rc);
    shutdown(sock.fd(), SHUT_WR);
    std::string rest;
    sock.read_until_closed(rest, 2000);
    r.handshake_error = gnutls_strerror(rc);
    if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
      gnutls_datum_t text = {nullptr, 0};
      unsigned status = gnutls_session_get_verify_cert_status(g.session);
      if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) == 0) {
        r.handshake_error += ": " + std::string(reinterpret_cast<char *>(text.data), text.size);
        gnutls_free(text.data);
      }
    }
    return r;
  }
  r.handshake_ok = true;
  if (char *d = gnutls_session_get_desc(g.session)) {
    r.description = d;
    gnutls_free(d);
  }
  r.cipher_bits =
      static_cast<unsigned>(gnutls_cipher_get_key_size(gnutls_cipher_get(g.session)) * 8);
  if (!anon) {
    unsigned n = 0;
    const gnutls_datum_t *certs = gnutls_certificate_get_peers(g.session, &n);
    if (certs && n > 0) r.peer_fingerprint = der_sha256_fingerprint(certs[0].data, certs[0].size);
  }

  std::string msg;
  if (is_sasl(o.subtype)) {
    if (tls_read_exact(g.session, 4, msg, error)) {
      uint32_t len = be32(msg);
      msg.clear();
      if (len > 4096 || !tls_read_exact(g.session, len, msg, error))
        r.error = "bad SASL mechanism list: " + error;
      else
        r.mechlist = msg;
    } else {
      r.error = "no SASL mechanism list: " + error;
    }
  } else if (tls_read_exact(g.session, 4, msg, error)) {
    r.security_result = be32(msg);
    msg.clear();
    if (*r.security_result != 0 && tls_read_exact(g.session, 4, msg, error)) {
      uint32_t len = be32(msg);
      msg.clear();
      if (len < 4096 && tls_read_exact(g.session, len, msg, error)) r.security_reason = msg;
    }
  } else {
    r.error = "no SecurityResult: " + error;
  }
  gnutls_bye(g.session, GNUTLS_SHUT_WR);
  return r;
}

std::string describe(const TlsProbeResult &r) {
  std::ostringstream out;
  out << "types [";
  for (auto t : r.types) out << " " << int(t);
  out << " ] subtypes [";
  for (auto t : r.subtypes) out << " " << t;
  out << " ] accepted=" << r.subtype_accepted
      << " handshake=" << (r.handshake_ok ? "ok" : "failed: " + r.handshake_error)
      << " desc=" << r.description << " bits=" << r.cipher_bits << " fp=" << r.peer_fingerprint
      << " mechlist='" << r.mechlist << "'";
  if (r.security_result)
    out << " result=" << *r.security_result << " '" << r.security_reason << "'";
  if (!r.refusal_reason.empty()) out << " refused: '" << r.refusal_reason << "'";
  if (!r.error.empty()) out << " error: " << r.error;
  return out.str();
}

}  // namespace vncgate::it::tls
