// A thin wrapper over one Cyrus SASL *client* connection: credentials come
// from callbacks (never interaction), and the security layer is exposed as
// encode/decode over byte vectors. Used by RfbSaslTestClient.
#pragma once

#include <sasl/sasl.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "rfb/parse.h"

namespace vncgate::testing {

using vncgate::Bytes;

struct SaslClientOptions {
  std::string service = "vnc";  // Kerberos principal service part
  std::string server_fqdn;      // empty: the host given to connect()
  std::string authname;         // login name (SASL_CB_AUTHNAME)
  std::string authzid;          // SASL_CB_USER; empty = act as authname
  std::string password;         // SASL_CB_PASS
  std::string realm;            // SASL_CB_GETREALM; empty = first one the server offers
  unsigned min_ssf = 0;
  unsigned max_ssf = 256;
  unsigned maxbufsize = 100000;  // what we accept per layer packet (gtk-vnc's value)
  unsigned security_flags = 0;   // SASL_SEC_* bits
  // Non-empty: hand Cyrus this mechanism list instead of the server's offer,
  // so a test can try a mechanism the server should refuse.
  std::string force_mechlist;
};

// Calls sasl_client_init() once per process; false (with the reason) if it failed.
bool sasl_client_global_init(std::string &error);

class SaslClient {
 public:
  enum class Status { Ok, Continue, Error };

  SaslClient() = default;
  ~SaslClient();
  SaslClient(const SaslClient &) = delete;
  SaslClient &operator=(const SaslClient &) = delete;

  // sasl_client_new + security properties. Addresses are "IP;PORT".
  bool init(const SaslClientOptions &options, const std::string &server_fqdn,
            const std::string &local_addr, const std::string &remote_addr, std::string &error);

  // sasl_client_start over `mechlist` (comma or space separated).
  // `out` = nullopt when Cyrus gave no initial response.
  Status start(const std::string &mechlist, std::string &mechanism, std::optional<Bytes> &out,
               std::string &error);

  // sasl_client_step; `in` = nullopt when the server sent no data.
  Status step(const std::optional<Bytes> &in, std::optional<Bytes> &out, std::string &error);

  unsigned ssf() const;          // negotiated security strength factor
  unsigned max_outbuf() const;   // largest plaintext chunk for one sasl_encode
  std::string username() const;  // SASL_USERNAME, when known

  // Security layer (call only when ssf() > 0). encode() splits plaintext
  // into max_outbuf() chunks; decode() accepts raw bytes of any size and
  // appends whatever plaintext is complete.
  bool encode(std::span<const uint8_t> plain, Bytes &out, std::string &error);
  bool decode(std::span<const uint8_t> raw, Bytes &out, std::string &error);

  sasl_conn_t *conn() const { return conn_; }

 private:
  static int get_simple(void *context, int id, const char **result, unsigned *len);
  static int get_secret(sasl_conn_t *conn, void *context, int id, sasl_secret_t **psecret);
  static int get_realm(void *context, int id, const char **availrealms, const char **result);
  std::string sasl_error(const char *what, int rc) const;

  SaslClientOptions options_;
  sasl_conn_t *conn_ = nullptr;
  std::vector<sasl_callback_t> callbacks_;
  std::vector<unsigned char> secret_;  // sasl_secret_t storage
  std::string realm_choice_;
};

}  // namespace vncgate::testing
