// The server's security negotiation and the handlers behind it (VeNCrypt
// with anonymous TLS, SASL and VeNCrypt Plain through Cyrus) driven by
// arbitrary client bytes, delivered in chunks the way the session reads
// them. The first input byte picks the port's settings and the chunk size;
// its top bit picks the web front (Plain inside a secure channel, or with
// bit 0 a session pre-authenticated by a link token).
#include <glib.h>
#include <glib/gstdio.h>

#include <cstdlib>
#include <string>

#include "fuzz_check.h"
#include "rfb/rfb_server.h"
#include "rfb/vencrypt.h"
#include "security/sasl_server.h"
#include "security/security_negotiation.h"
#include "security/tls_server.h"

using namespace vncgate;

namespace {

// Cyrus with a private configuration (an empty sasldb: no login succeeds)
// and anonymous-DH TLS credentials, once per process.
std::shared_ptr<TlsCredentials> set_up() {
  static std::shared_ptr<TlsCredentials> creds = [] {
    gchar *dir = g_dir_make_tmp("vncgate-fuzz-XXXXXX", nullptr);
    std::string conf = std::string(dir) + "/vncgate-fuzz.conf";
    std::string text =
        "mech_list: scram-sha-256 digest-md5 plain\nsasldb_path: " + std::string(dir) + "/sasldb\n";
    g_file_set_contents(conf.c_str(), text.c_str(), -1, nullptr);
    g_setenv("SASL_CONF_PATH", dir, TRUE);
    g_free(dir);
    std::string error;
    FUZZ_CHECK(sasl_server_global_init("vncgate-fuzz", error));
    tls_global_init();
    auto c = TlsCredentials::load(TlsSettings{}, error);
    FUZZ_CHECK(c != nullptr);
    return c;
  }();
  return creds;
}

void check_refusal(const Refusal &r) {
  FUZZ_CHECK(!r.end.audit_text().empty());
  FUZZ_CHECK(*r.end.metric_label() != '\0');
  if (r.how == Refusal::How::AuthFailure) FUZZ_CHECK(!r.client_reason.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  NegotiationOptions o;
  o.tls = set_up();
  o.vencrypt_subtypes = {kVeNCryptTlsSasl, kVeNCryptX509None, kVeNCryptTlsPlain};
  const bool web = data[0] & 0x80;
  o.wrapped = !web && (data[0] & 1);
  o.wrapped_ssf = o.wrapped ? 256 : 0;
  o.secure_channel = web;
  o.secure_channel_ssf = web ? 256 : 0;
  if (web && (data[0] & 1)) {
    Login token;
    token.user = token.attempted_user = "fuzz";
    token.mechanism = "web-link";
    o.pre_authenticated = token;
  }
  o.offer_plain_sasl = data[0] & 2;
  o.sasl.sasl.min_ssf = 0;
  o.sasl.max_field = 1024;
  o.client = "192.0.2.1:1";
  o.log_prefix = "fuzz: ";
  const size_t chunk = 1 + ((data[0] >> 2) & 0x1f) * 4;
  SecurityNegotiation neg(std::move(o));
  Bytes greeting = neg.begin().out;
  FUZZ_CHECK(greeting == encode_server_version());

  Bytes in;
  std::unique_ptr<SecurityLayer> layer;
  for (size_t pos = 1; pos < size;) {
    size_t n = std::min(chunk, size - pos);
    if (layer) {
      if (!layer->decode(data + pos, n, in)) return 0;  // the session ends: record layer
    } else {
      in.insert(in.end(), data + pos, data + pos + n);
    }
    pos += n;
    if (in.size() > neg.input_cap()) return 0;  // the session ends: message too large
    for (bool more = true; more;) {
      size_t before = in.size();
      HandlerStep st = neg.feed(in);
      FUZZ_CHECK(in.size() <= before);
      switch (st.status) {
        case HandlerStep::Status::NeedMore:
          more = false;
          break;
        case HandlerStep::Status::Upgrade:
          FUZZ_CHECK(st.layer != nullptr && !layer);
          layer = std::move(st.layer);
          in = std::move(st.plaintext);
          break;
        case HandlerStep::Status::Work:
          FUZZ_CHECK(static_cast<bool>(st.work));
          st.work();
          break;
        case HandlerStep::Status::Authenticated:
          FUZZ_CHECK(st.login && !st.login->user.empty());
          return 0;
        case HandlerStep::Status::Refused:
          FUZZ_CHECK(st.refusal.has_value());
          check_refusal(*st.refusal);
          return 0;
      }
    }
  }
  return 0;
}
