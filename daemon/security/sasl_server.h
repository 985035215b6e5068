// One Cyrus SASL server conversation for RFB security type 20, and the
// security layer it leaves behind. Owns its sasl_conn_t.
#pragma once

#include <sasl/sasl.h>

#include <memory>
#include <optional>
#include <string>

#include "rfb/parse.h"
#include "security/mechanism_hint.h"
#include "security/security_layer.h"

namespace vncgate {

struct SaslServerOptions {
  std::string service = "vnc";
  std::string realm;           // user realm; empty = Cyrus default (host name)
  std::string local_address;   // "IP;PORT"
  std::string remote_address;  // "IP;PORT"
  unsigned min_ssf = 56;
  unsigned external_ssf = 0;            // TLS key bits when inside TLS
  bool allow_plaintext = false;         // only inside TLS
  AuthHint auth_hint = AuthHint::None;  // the CONNECT's Vncgate-Auth: only removes mechanisms
};

// Process-wide Cyrus initialisation; the application name picks
// <app-name>.conf. Returns false with a reason when Cyrus refuses.
bool sasl_server_global_init(const std::string &app_name, std::string &error);
void sasl_server_global_done();
// Keytab handed to Cyrus' GSSAPI plugin (its "keytab" option), so the
// operator needs no environment or SASL config edits for it.
void sasl_server_set_keytab(const std::string &keytab);

class SaslServerSession : public SecurityLayer {
 public:
  enum class Outcome { Continue, Complete, Failed };
  struct Step {
    Outcome outcome = Outcome::Failed;
    std::optional<Bytes> serverout;  // nullopt = NULL output
    std::string error;               // operator-facing detail on failure
  };

  static std::unique_ptr<SaslServerSession> create(const SaslServerOptions &opts,
                                                   std::string &error);
  ~SaslServerSession() override;
  SaslServerSession(const SaslServerSession &) = delete;
  SaslServerSession &operator=(const SaslServerSession &) = delete;

  // Comma-separated mechanisms this connection may use.
  const std::string &mechlist() const { return mechlist_; }
  bool offers(const std::string &mech) const;

  Step start(const std::string &mech, const std::optional<Bytes> &clientin);
  Step step(const std::optional<Bytes> &clientin);

  // After Complete:
  const std::string &mechanism() const { return mechanism_; }
  const std::string &username() const { return username_; }
  // The user name the client tried, also after a failure (for the log).
  const std::string &attempted_user() const { return attempted_user_; }
  unsigned ssf() const { return ssf_; }
  bool has_layer() const { return ssf_ > 0 && external_ssf_ == 0; }

  // Security layer. encode() takes at most max_encode_chunk() bytes.
  size_t max_encode_chunk() const override { return maxoutbuf_; }
  bool encode(const uint8_t *in, size_t len, Bytes &out) override;
  bool decode(const uint8_t *in, size_t len, Bytes &out) override;

 private:
  SaslServerSession() = default;
  Step finish(int rc, const char *out, unsigned outlen);

  static int canon_user(sasl_conn_t *conn, void *context, const char *in, unsigned inlen,
                        unsigned flags, const char *user_realm, char *out, unsigned out_max,
                        unsigned *out_len);

  sasl_conn_t *conn_ = nullptr;
  sasl_callback_t callbacks_[3];
  std::string attempted_user_;
  std::string mechlist_;
  std::string mechanism_;
  std::string username_;
  unsigned ssf_ = 0;
  unsigned min_ssf_ = 0;
  unsigned external_ssf_ = 0;
  size_t maxoutbuf_ = 4096;
};

}  // namespace vncgate
