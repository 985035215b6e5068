// The web front's tests: a GatewayTest with the control API (web links)
// and [web] listen on a free loopback port (no TLS: loopback), plus a tiny
// RFB client that reads back one pixel, over a WebSocket through vncgated
// or over TCP straight from the Xvnc backend (the reference capture).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "control_test.h"
#include "raw_socket.h"
#include "ws_client.h"

namespace vncgate::it {

// A byte stream to speak RFB over: a WebSocket's binary messages or TCP.
class RfbStream {
 public:
  virtual ~RfbStream() = default;
  virtual bool read(size_t n, std::string &out, int timeout_ms) = 0;
  virtual bool write(const std::string &bytes) = 0;
};

class WsStream : public RfbStream {
 public:
  explicit WsStream(WsClient &ws) : ws_(ws) {}
  bool read(size_t n, std::string &out, int timeout_ms) override {
    return ws_.read_binary(n, out, timeout_ms);
  }
  bool write(const std::string &bytes) override { return ws_.send_binary(bytes); }

 private:
  WsClient &ws_;
};

class TcpStream : public RfbStream {
 public:
  explicit TcpStream(RawSocket &s) : s_(s) {}
  bool read(size_t n, std::string &out, int timeout_ms) override {
    return s_.read_exact(n, out, timeout_ms);
  }
  bool write(const std::string &bytes) override {
    std::string error;
    return s_.send(bytes, error);
  }

 private:
  RawSocket &s_;
};

struct RfbSession {
  int width = 0, height = 0;
  std::string desktop_name;
  // The server's pixel format (true colour, from ServerInit).
  int bpp = 32;
  bool big_endian = false;
  int red_shift = 16, green_shift = 8, blue_shift = 0;
  int red_max = 255, green_max = 255, blue_max = 255;
};

// RFB 3.8 with security type None, then ClientInit and ServerInit. `error`
// says which step failed.
std::optional<RfbSession> rfb_none_handshake(RfbStream &s, std::string &error);
// RFB 3.8, VeNCrypt Plain (256) as noVNC speaks it inside wss, then the
// SecurityResult: "OK" (ClientInit sent, ServerInit read into `rfb`), or
// the failure's reason.
std::string rfb_plain_login(RfbStream &s, const std::string &user, const std::string &password,
                            RfbSession *rfb = nullptr);
// The 0xRRGGBB colour of pixel (x, y): a raw-encoded update of that pixel.
std::optional<uint32_t> rfb_read_pixel(RfbStream &s, const RfbSession &rfb, int x, int y,
                                       std::string &error);

class WebTest : public ControlTest {
 protected:
  WebTest();

  // POST .../links with "kind": "web"; link.token from the URL's fragment.
  Link mint_web(const std::string &console, const std::string &user = "alice", int ttl = 300);
  // The page's own origin, as a browser on it sends it.
  std::string origin() const { return "http://127.0.0.1:" + std::to_string(web_port_); }
  // A WebSocket to /ws/console/NAME with our origin; fails the test otherwise.
  void open_ws(WsClient &ws, const std::string &console);
  // A fresh web link for alice, used on `ws`, through RFB's None handshake
  // to ServerInit; fails the test otherwise.
  void open_web_session(WsClient &ws, const std::string &console, RfbSession &rfb);

  uint16_t web_port_ = 0;
};

}  // namespace vncgate::it
