// RfbSaslTestClient: a blocking RFB client for integration tests and
// benchmarks. It speaks each handshake step as a separate call so a test can
// stop anywhere, or send malformed bytes with the raw helpers:
//
//   connect ─► [http_connect] ─► exchange_version ─► read_security_types ─►
//   choose_security_type ─► [sasl_authenticate] ─► read_security_result ─►
//   client_init ─► read_server_init ─► send()/recv_*()
//
// Every read waits at most timeout_ms (per read). Failing calls return
// false / nullopt / -1 and leave a readable reason in error(). After a
// successful SecurityResult with a SASL SSF > 0, send()/recv_*() go through
// sasl_encode/sasl_decode (whose output carries the u32 length framing).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sasl_client.h"
#include "timed_socket.h"

namespace vncgate::testing {

struct SaslOutcome {
  bool ok = false;               // server sent complete=1 and Cyrus accepted the exchange
  bool server_complete = false;  // the server's last reply had complete=1
  bool peer_closed = false;      // EOF during the exchange (QEMU's way to fail)
  std::string mechlist;          // what the server offered
  std::string mechanism;         // what the client chose and sent
  unsigned ssf = 0;              // negotiated SSF (when ok)
  unsigned round_trips = 0;      // server replies read
  std::string error;             // why not ok (client-side view)
};

struct SecurityResultMsg {
  uint32_t status = 1;  // 0 OK, 1 failed, anything else as sent
  std::string reason;   // failure reason (3.8), trailing NUL kept if sent
  bool ok() const { return status == 0; }
};

struct ServerInitMsg {
  uint16_t width = 0;
  uint16_t height = 0;
  std::array<uint8_t, 16> pixel_format{};
  std::string name;
};

// Bytes as readable text: printable ASCII as is, the rest escaped (\n, \xNN).
std::string printable(std::string_view bytes);

class RfbSaslTestClient {
 public:
  explicit RfbSaslTestClient(int timeout_ms = 10000);
  ~RfbSaslTestClient();
  RfbSaslTestClient(const RfbSaslTestClient &) = delete;
  RfbSaslTestClient &operator=(const RfbSaslTestClient &) = delete;

  // ---- connection -------------------------------------------------------
  bool connect(const std::string &host, uint16_t port);
  void close();
  bool is_open() const { return sock_.is_open(); }
  int fd() const { return sock_.fd(); }
  void set_timeout_ms(int ms) { sock_.set_timeout_ms(ms); }
  // Local address to connect from (another loopback source: 127.0.0.2).
  void set_source_address(std::string ip) { sock_.set_source_address(std::move(ip)); }
  const std::string &error() const { return error_; }
  bool peer_closed() const { return eof_; }  // the last failure was an EOF

  // ---- HTTP CONNECT preamble ---------------------------------------------
  // Sends "CONNECT <path> <http_version>\r\n<headers>\r\n" (each header line
  // must end in \r\n) and reads the response head. Returns the status code
  // or -1. Bytes after the blank line stay buffered for the RFB steps.
  int http_connect(std::string_view path, std::string_view http_version = "HTTP/1.1",
                   std::string_view headers = {});
  const std::string &http_response() const { return http_response_; }

  // ---- RFB version ---------------------------------------------------------
  // Reads the server's 12-byte ProtocolVersion (raw text in server_version()).
  bool read_server_version();
  // Sends "RFB 003.00<minor>\n". The minor also decides whether a failed
  // SecurityResult carries a reason (3.8 only).
  bool send_client_version(int minor = 8);
  bool exchange_version(int minor = 8) {
    return read_server_version() && send_client_version(minor);
  }
  const std::string &server_version() const { return server_version_; }

  // ---- security type --------------------------------------------------------
  // 3.7/3.8: u8 count + types. A count of 0 means refusal: nullopt with
  // the server's reason in refusal_reason() and error().
  std::optional<std::vector<uint8_t>> read_security_types();
  // 3.3: u32 type; 0 = refusal (reason as above).
  std::optional<uint32_t> read_security_type_v33();
  bool choose_security_type(uint8_t type);
  const std::string &refusal_reason() const { return refusal_reason_; }

  // ---- SASL (type 20) -----------------------------------------------------------
  std::optional<std::string> read_sasl_mechlist();
  // Reads the mechlist, then runs the exchange; does not read SecurityResult.
  SaslOutcome sasl_authenticate(const SaslClientOptions &options);
  // Runs the exchange over an already read mechlist.
  SaslOutcome sasl_authenticate_with(const SaslClientOptions &options, const std::string &mechlist);

  // u32 status, plus u32 length + reason on failure when the version sent
  // was 3.8 (or `with_reason` forces it). Enables the security layer when
  // OK after a SASL exchange with SSF > 0.
  std::optional<SecurityResultMsg> read_security_result(std::optional<bool> with_reason = {});

  // Convenience: [CONNECT path] + version 3.8 + type 20 + SASL + SecurityResult.
  // True only if everything succeeded; `outcome` gets the SASL details.
  bool handshake_sasl(std::string_view connect_path, const SaslClientOptions &options,
                      SaslOutcome *outcome = nullptr);
  // Convenience: [CONNECT path] + version 3.8 + type 1 (None) + SecurityResult.
  bool handshake_none(std::string_view connect_path = {});

  // ---- after authentication (through the layer when active) ----------------
  bool client_init(bool shared = true);
  std::optional<ServerInitMsg> read_server_init();

  unsigned ssf() const { return ssf_; }
  bool layer_active() const { return layer_; }
  SaslClient *sasl() { return sasl_.get(); }

  bool send(std::span<const uint8_t> data);
  bool send(std::string_view text);
  // Up to `max` bytes; 0 = EOF, -1 = error/timeout.
  long recv_some(uint8_t *buf, size_t max);
  bool recv_exact(uint8_t *buf, size_t n);
  std::optional<Bytes> recv_exact(size_t n);

  // ---- raw bytes (no security layer) -------------------------------------------
  bool send_raw(std::span<const uint8_t> data);
  bool send_raw(std::string_view text);
  long recv_raw_some(uint8_t *buf, size_t max);
  bool recv_raw_exact(uint8_t *buf, size_t n);
  std::optional<Bytes> recv_raw_exact(size_t n);
  // True if the peer closes within `timeout_ms` (data before EOF is discarded).
  bool wait_closed(int timeout_ms);

 private:
  bool fail(std::string why);
  bool fill(size_t need, const char *what);  // raw buffer holds >= need bytes
  size_t raw_buffered() const { return raw_in_.size() - raw_pos_; }
  bool read_u32(uint32_t &v, const char *what);
  bool read_reason(std::string &out, const char *what);
  // One SASL data field from the server: nullopt = length 0.
  bool read_sasl_data(std::optional<Bytes> &out, const char *what);

  TimedSocket sock_;
  std::string host_;
  std::string error_;
  bool eof_ = false;
  Bytes raw_in_;  // received, not yet consumed (before decoding)
  size_t raw_pos_ = 0;
  Bytes plain_in_;  // decoded by the layer, not yet consumed
  size_t plain_pos_ = 0;
  Bytes encode_buf_;
  Bytes scratch_;  // raw reads while the layer is active
  std::string http_response_;
  std::string server_version_;
  std::string refusal_reason_;
  int client_minor_ = 8;
  std::unique_ptr<SaslClient> sasl_;
  bool sasl_ok_ = false;
  unsigned ssf_ = 0;
  bool layer_ = false;
};

}  // namespace vncgate::testing
