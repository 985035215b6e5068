// gtk-vnc (libgvnc-1.0) as a VeNCrypt client: it chooses security type 19
// and a wanted subtype (X509SASL 263, TLSSASL 264, X509None 260, ...),
// answers the X.509 "client name" credential (gtk-vnc then loads
// ~/.pki/<name>/clientcert.pem if it exists, see private_home.h) and the
// SASL user name and password. Like the shared GvncClient fixture it runs
// in the default GMainContext with bounded waits, does the HTTP CONNECT on
// its own socket first, and can tap the client-side wire.
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
}

namespace vncgate::it::tls {

inline constexpr unsigned kSecVeNCrypt = 19;
inline constexpr unsigned kSecSasl = 20;
inline constexpr unsigned kX509None = 260;
inline constexpr unsigned kX509Sasl = 263;
inline constexpr unsigned kTlsSasl = 264;

struct VencryptGvncOptions {
  uint16_t port = 0;
  std::string console;             // non-empty: "CONNECT /console/<console>" first
  std::string host = "localhost";  // what gtk-vnc checks the server certificate against
  unsigned auth_type = kSecVeNCrypt;
  unsigned subtype = kX509Sasl;
  // The X.509 "client name": gtk-vnc looks for ~/.pki/<name>/clientcert.pem.
  std::string client_name = "vncgate-test";
  std::string username;
  std::string password;
  bool wire_tap = false;
  bool raw_encoding = false;
  bool shared = true;  // ClientInit shared flag (false: Xvnc drops other clients)
};

class VencryptGvncClient {
 public:
  explicit VencryptGvncClient(VencryptGvncOptions options);
  ~VencryptGvncClient();
  VencryptGvncClient(const VencryptGvncClient &) = delete;
  VencryptGvncClient &operator=(const VencryptGvncClient &) = delete;

  // Connects, sends CONNECT (when asked), reads the HTTP answer and, on
  // 200, hands the socket to gtk-vnc.
  bool open(std::string &error);

  bool run_until(const std::function<bool()> &done, std::chrono::milliseconds timeout);
  bool wait_initialized(std::chrono::milliseconds timeout);
  bool wait_full_update(std::chrono::milliseconds timeout);
  bool wait_disconnected(std::chrono::milliseconds timeout);
  // Until initialization or disconnection.
  bool wait_settled(std::chrono::milliseconds timeout);
  // Asks for another full update and waits for it.
  bool refresh(std::chrono::milliseconds timeout);
  void close(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  int http_status() const { return http_status_; }
  const std::string &http_response() const { return http_response_; }
  const std::vector<unsigned> &offered_types() const { return offered_types_; }
  const std::vector<unsigned> &offered_subtypes() const { return offered_subtypes_; }
  bool asked_client_name() const { return asked_client_name_; }
  bool asked_password() const { return asked_password_; }
  bool initialized() const { return initialized_; }
  bool disconnected() const { return disconnected_; }
  bool auth_failed() const { return auth_failed_; }
  const std::string &auth_failure_reason() const { return auth_failure_reason_; }
  const std::vector<std::string> &errors() const { return errors_; }
  // All error messages joined with " | ".
  std::string error_text() const;
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
  static void on_desktop_resize(VncConnection *conn, int width, int height, void *self);
  static void on_auth_failure(VncConnection *conn, const char *reason, void *self);
  static void on_auth_unsupported(VncConnection *conn, unsigned type, void *self);
  static void on_error(VncConnection *conn, const char *message, void *self);
  static void on_disconnected(VncConnection *conn, void *self);
  void set_framebuffer();
  void request_full_update();

  VencryptGvncOptions options_;
  RawSocket socket_;
  std::unique_ptr<WireTap> tap_;
  VncConnection *conn_ = nullptr;
  std::vector<uint8_t> pixels_;
  std::string http_response_;
  int http_status_ = 0;
  std::vector<unsigned> offered_types_;
  std::vector<unsigned> offered_subtypes_;
  bool asked_client_name_ = false;
  bool asked_password_ = false;
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

}  // namespace vncgate::it::tls
