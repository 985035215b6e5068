// gtk-vnc (libgvnc-1.0) as a Kerberos client: like the shared GvncClient,
// but it records every credential gtk-vnc asks for (single sign-on must ask
// for none), and it can take VeNCrypt X509SASL instead of plain SASL, so
// GSSAPI runs inside X.509 TLS. GSSAPI takes the ticket from $KRB5CCNAME.
// Runs in the default GMainContext with bounded waits only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "raw_socket.h"

typedef struct _VncConnection VncConnection;

namespace vncgate::it {

class WireTap;

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

class KrbVncClient {
 public:
  explicit KrbVncClient(KrbVncOptions options);
  ~KrbVncClient();
  KrbVncClient(const KrbVncClient &) = delete;
  KrbVncClient &operator=(const KrbVncClient &) = delete;

  // Connects, does the CONNECT preamble (when asked) and hands the socket
  // to gtk-vnc.
  bool open(std::string &error);

  bool run_until(const std::function<bool()> &done, std::chrono::milliseconds timeout);
  bool wait_initialized(std::chrono::milliseconds timeout);
  // Until the updates received since initialization (or refresh()) cover
  // the whole screen.
  bool wait_full_update(std::chrono::milliseconds timeout);
  // Until initialization, authentication failure or disconnection.
  bool wait_settled(std::chrono::milliseconds timeout);
  bool wait_disconnected(std::chrono::milliseconds timeout);
  // Requests a new full (non-incremental) update and waits for it.
  bool refresh(std::chrono::milliseconds timeout);
  void close(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  int http_status() const { return http_status_; }
  const std::vector<unsigned> &offered_types() const { return offered_types_; }
  const std::vector<unsigned> &offered_subtypes() const { return offered_subtypes_; }
  // VNC_CONNECTION_CREDENTIAL_* values, in the order gtk-vnc asked.
  const std::vector<int> &credential_requests() const { return credential_requests_; }
  // Whether a user name or password was asked for (CLIENTNAME, which
  // gtk-vnc asks for X.509 client certificates, is not a user credential).
  bool asked_for_user_credentials() const;
  bool initialized() const { return initialized_; }
  bool disconnected() const { return disconnected_; }
  bool auth_failed() const { return auth_failed_; }
  const std::string &auth_failure_reason() const { return auth_failure_reason_; }
  const std::vector<std::string> &errors() const { return errors_; }
  int width() const { return width_; }
  int height() const { return height_; }
  const std::string &desktop_name() const { return desktop_name_; }
  uint64_t updated_area() const { return updated_area_; }
  std::string describe() const;

  std::string wire_client_to_server() const;
  std::string wire_server_to_client() const;

 private:
  static void on_choose_type(VncConnection *conn, void *types, void *self);
  static void on_choose_subtype(VncConnection *conn, unsigned type, void *subtypes, void *self);
  static void on_credential(VncConnection *conn, void *creds, void *self);
  static void on_initialized(VncConnection *conn, void *self);
  static void on_update(VncConnection *conn, int x, int y, int w, int h, void *self);
  static void on_auth_failure(VncConnection *conn, const char *reason, void *self);
  static void on_auth_unsupported(VncConnection *conn, unsigned type, void *self);
  static void on_error(VncConnection *conn, const char *message, void *self);
  static void on_disconnected(VncConnection *conn, void *self);
  void reset_updates();
  void request_full_update();

  KrbVncOptions options_;
  RawSocket socket_;
  std::unique_ptr<WireTap> tap_;
  VncConnection *conn_ = nullptr;
  std::vector<uint8_t> pixels_;
  int http_status_ = 0;
  std::vector<unsigned> offered_types_;
  std::vector<unsigned> offered_subtypes_;
  std::vector<int> credential_requests_;
  bool initialized_ = false;
  bool disconnected_ = false;
  bool auth_failed_ = false;
  std::string auth_failure_reason_;
  std::vector<std::string> errors_;
  int width_ = 0;
  int height_ = 0;
  std::string desktop_name_;
  uint64_t updated_area_ = 0;
  int ux0_ = 0, uy0_ = 0, ux1_ = 0, uy1_ = 0;
};

}  // namespace vncgate::it
