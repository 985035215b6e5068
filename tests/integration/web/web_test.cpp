#include "web_test.h"

#include <regex>

namespace vncgate::it {
namespace {

uint32_t be32(const std::string &b, size_t at) {
  return (uint32_t(uint8_t(b[at])) << 24) | (uint32_t(uint8_t(b[at + 1])) << 16) |
         (uint32_t(uint8_t(b[at + 2])) << 8) | uint8_t(b[at + 3]);
}
uint16_t be16(const std::string &b, size_t at) {
  return static_cast<uint16_t>((uint8_t(b[at]) << 8) | uint8_t(b[at + 1]));
}
std::string u16(int v) {
  return {static_cast<char>((v >> 8) & 0xff), static_cast<char>(v & 0xff)};
}

}  // namespace

std::optional<RfbSession> rfb_none_handshake(RfbStream &s, std::string &error) {
  std::string in;
  if (!s.read(12, in, 10000) || in != "RFB 003.008\n") {
    error = "no RFB 3.8 ProtocolVersion: '" + in + "'";
    return std::nullopt;
  }
  s.write("RFB 003.008\n");
  in.clear();
  if (!s.read(1, in, 10000) || in[0] == 0) {
    error = "no security types";
    return std::nullopt;
  }
  std::string types;
  s.read(static_cast<uint8_t>(in[0]), types, 10000);
  if (types.find('\x01') == std::string::npos) {
    error = "None not offered";
    return std::nullopt;
  }
  s.write(std::string(1, '\x01'));
  in.clear();
  if (!s.read(4, in, 20000) || be32(in, 0) != 0) {
    error = "no successful SecurityResult";
    return std::nullopt;
  }
  s.write(std::string(1, '\x01'));  // ClientInit: shared
  in.clear();
  if (!s.read(24, in, 10000)) {
    error = "no ServerInit";
    return std::nullopt;
  }
  RfbSession r;
  r.width = be16(in, 0);
  r.height = be16(in, 2);
  r.bpp = uint8_t(in[4]);
  r.big_endian = in[6] != 0;
  r.red_max = be16(in, 8);
  r.green_max = be16(in, 10);
  r.blue_max = be16(in, 12);
  r.red_shift = uint8_t(in[14]);
  r.green_shift = uint8_t(in[15]);
  r.blue_shift = uint8_t(in[16]);
  std::string name;
  if (!s.read(be32(in, 20), name, 10000)) {
    error = "no desktop name";
    return std::nullopt;
  }
  r.desktop_name = name;
  return r;
}

namespace {

std::string u32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>((v >> 16) & 0xff),
          static_cast<char>((v >> 8) & 0xff), static_cast<char>(v & 0xff)};
}

}  // namespace

std::string rfb_plain_login(RfbStream &s, const std::string &user, const std::string &password,
                            RfbSession *rfb) {
  std::string in;
  if (!s.read(12, in, 10000)) return "no ProtocolVersion";
  s.write("RFB 003.008\n");
  in.clear();
  if (!s.read(1, in, 10000) || in[0] == 0) return "no security types";
  std::string types;
  s.read(static_cast<uint8_t>(in[0]), types, 10000);
  if (types != "\x13") return "offered types other than VeNCrypt alone";
  s.write("\x13");
  in.clear();
  if (!s.read(2, in, 10000) || in != std::string("\x00\x02", 2)) return "no VeNCrypt 0.2";
  s.write(std::string("\x00\x02", 2));
  in.clear();
  if (!s.read(2, in, 10000) || in[0] != 0) return "VeNCrypt version refused";
  std::string subtypes;
  s.read(4 * static_cast<size_t>(uint8_t(in[1])), subtypes, 10000);
  if (subtypes != u32(256)) return "subtypes other than Plain alone";
  s.write(u32(256) + u32(static_cast<uint32_t>(user.size())) +
          u32(static_cast<uint32_t>(password.size())) + user + password);
  in.clear();
  if (!s.read(4, in, 20000)) return "no SecurityResult";
  if (be32(in, 0) != 0) {
    std::string len, reason;
    s.read(4, len, 5000);
    s.read(be32(len, 0), reason, 5000);
    return reason;
  }
  if (rfb) {
    s.write(std::string(1, '\x01'));
    in.clear();
    if (!s.read(24, in, 10000)) return "no ServerInit";
    std::string name;
    s.read(be32(in, 20), name, 10000);
    rfb->width = be16(in, 0);
    rfb->height = be16(in, 2);
    rfb->desktop_name = name;
  }
  return "OK";
}

std::optional<uint32_t> rfb_read_pixel(RfbStream &s, const RfbSession &rfb, int x, int y,
                                       std::string &error) {
  // SetEncodings: raw only; then an update request for the one pixel.
  s.write(std::string("\x02\x00\x00\x01\x00\x00\x00\x00", 8));
  s.write(std::string("\x03\x00", 2) + u16(x) + u16(y) + u16(1) + u16(1));
  const size_t bytes = static_cast<size_t>(rfb.bpp / 8);
  for (int messages = 0; messages < 50; ++messages) {
    std::string t;
    if (!s.read(1, t, 10000)) break;
    if (t[0] == 2) continue;  // Bell
    if (t[0] != 0) {
      error = "unexpected server message " + std::to_string(int(uint8_t(t[0])));
      return std::nullopt;
    }
    std::string h;
    s.read(3, h, 10000);
    const int rects = be16(h, 1);
    std::optional<uint32_t> found;
    for (int i = 0; i < rects; ++i) {
      std::string rh;
      if (!s.read(12, rh, 10000)) break;
      const int rw = be16(rh, 4), rhgt = be16(rh, 6);
      if (be32(rh, 8) != 0) {  // a pseudo-encoding or something not asked for
        error = "non-raw rectangle";
        return std::nullopt;
      }
      std::string px;
      s.read(static_cast<size_t>(rw) * rhgt * bytes, px, 10000);
      if (be16(rh, 0) <= x && be16(rh, 2) <= y && be16(rh, 0) + rw > x && be16(rh, 2) + rhgt > y) {
        const size_t at = (static_cast<size_t>(y - be16(rh, 2)) * rw + (x - be16(rh, 0))) * bytes;
        uint32_t v = 0;
        for (size_t b = 0; b < bytes; ++b) {
          const size_t idx = rfb.big_endian ? at + b : at + bytes - 1 - b;
          v = (v << 8) | uint8_t(px[idx]);
        }
        auto chan = [&](int shift, int max) {
          return static_cast<uint32_t>(((v >> shift) & max) * 255 / (max ? max : 1));
        };
        found = (chan(rfb.red_shift, rfb.red_max) << 16) |
                (chan(rfb.green_shift, rfb.green_max) << 8) | chan(rfb.blue_shift, rfb.blue_max);
      }
    }
    if (found) return found;
  }
  error = "no update covering the pixel";
  return std::nullopt;
}

WebTest::WebTest() {
  web_port_ = free_loopback_port();
  daemon_.config().set("web", "listen", "127.0.0.1:" + std::to_string(web_port_));
}

Link WebTest::mint_web(const std::string &console, const std::string &user, int ttl) {
  std::string body = "{\"kind\": \"web\", \"ttl\": " + std::to_string(ttl);
  if (!user.empty()) body += ", \"user\": \"" + user + "\"";
  Link link = mint_json(console, body + "}");
  static const std::regex url_re("https?://[^/]+/console/([^#]+)#token=(.*)");
  std::smatch m;
  if (std::regex_match(link.url, m, url_re)) {
    link.console = m[1];
    link.token = m[2];
  }
  return link;
}

void WebTest::open_ws(WsClient &ws, const std::string &console) {
  std::string error;
  int status = ws.open(web_port_, "/ws/console/" + console, origin(), error);
  ASSERT_EQ(status, 101) << error << ws.response();
}

void WebTest::open_web_session(WsClient &ws, const std::string &console, RfbSession &rfb) {
  Link link = mint_web(console);
  ASSERT_EQ(link.status, 201) << link.body;
  ASSERT_NO_FATAL_FAILURE(open_ws(ws, console));
  ASSERT_TRUE(ws.send_text(link.token));
  WsStream stream(ws);
  std::string error;
  auto session = rfb_none_handshake(stream, error);
  ASSERT_TRUE(session) << error;
  rfb = *session;
}

}  // namespace vncgate::it
