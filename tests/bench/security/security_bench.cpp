// vncgate-security-bench: the measuring side of run-security-bench.sh. It
// reaches the bench backend (tests/bench/bench_protocol.h) through a
// security layer and times the same bulk and echo traffic as vncgate-bench:
//
//   vncgate-security-bench run  --path SPEC [--bytes N] [--label L]
//                               [--relay-pid PID [--relay-children 1]] COMMON
//   vncgate-security-bench rtt  --path SPEC... [--pings N] [--blocks N] [--ping-size N] COMMON
//   vncgate-security-bench cipher-speed [--ms N]
//
// SPEC is LABEL,KIND,PORT[,...]:
//   LABEL,none,PORT                            RFB None on plain TCP (the backend itself)
//   LABEL,sasl,PORT,MECH,MIN_SSF,MAX_SSF[,PATH] RFB SASL (type 20), with the SASL
//                                              security layer when the SSF is > 0
//   LABEL,x509sasl,PORT,MECH[,PATH]            VeNCrypt 0.2, X509SASL (263): TLS that
//                                              verifies --ca, then SASL inside TLS with
//                                              SSF external and no second layer
//   LABEL,tls-none,PORT                        TLS from the first byte (socat
//                                              OPENSSL-LISTEN), then RFB None inside
// PATH: "CONNECT PATH HTTP/1.1" first (e.g. /console/bench).
// COMMON: --user U --password PW [--realm R] [--ca FILE] [--tls-name NAME]
//         [--priority GNUTLS_PRIORITY] [--server-fqdn NAME] [--timeout-ms N]
//
// --relay-pid: also report the CPU time the relay process (or, with
// --relay-children 1, its children, as socat forks one per connection)
// spent during each direction, as a share of one core.
// Results are one line of key=value pairs per path.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#ifdef HAVE_KRB5
#include <krb5.h>
#endif

#include "../bench_protocol.h"
#include "rfb/parse.h"
#include "rfb/rfb_server.h"
#include "rfb/sasl_messages.h"
#include "rfb/vencrypt.h"
#include "rfb_test_client.h"
#include "sasl_client.h"

namespace {

using vncgate::Bytes;
using vncgate::testing::RfbSaslTestClient;
using vncgate::testing::SaslClient;
using vncgate::testing::SaslClientOptions;
using Clock = std::chrono::steady_clock;
using namespace vncgate::bench;

// Default TLS client priority: the cipher vncgated's default [tls] priority
// picks (TLS 1.3, AES-256-GCM), forced so socat's OpenSSL agrees on it too.
constexpr const char *kDefaultPriority = "NORMAL:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM";

struct Args {
  std::map<std::string, std::string> kv;
  std::vector<std::string> paths;
  std::string get(const std::string &k, const std::string &def = {}) const {
    auto it = kv.find(k);
    return it == kv.end() ? def : it->second;
  }
  unsigned long long num(const std::string &k, unsigned long long def) const {
    auto it = kv.find(k);
    return it == kv.end() ? def : std::strtoull(it->second.c_str(), nullptr, 10);
  }
};

[[noreturn]] void die(const std::string &msg) {
  std::fprintf(stderr, "vncgate-security-bench: %s\n", msg.c_str());
  std::exit(1);
}

Args parse_args(int argc, char **argv, int first) {
  Args a;
  for (int i = first; i < argc; ++i) {
    std::string k = argv[i];
    if (k.rfind("--", 0) != 0 || i + 1 >= argc) die("bad argument: " + k);
    if (k == "--path")
      a.paths.push_back(argv[++i]);
    else
      a.kv[k.substr(2)] = argv[++i];
  }
  return a;
}

std::vector<std::string> split(const std::string &s, char sep) {
  std::vector<std::string> out;
  for (size_t at = 0;;) {
    size_t next = s.find(sep, at);
    out.push_back(s.substr(at, next == std::string::npos ? std::string::npos : next - at));
    if (next == std::string::npos) return out;
    at = next + 1;
  }
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

uint32_t be32(const uint8_t *p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// ---- byte streams ------------------------------------------------------------

// An authenticated RFB session after ServerInit, whatever carries it.
class Stream {
 public:
  virtual ~Stream() = default;
  virtual bool send(const uint8_t *data, size_t len) = 0;
  // Up to `max` bytes; 0 = EOF, -1 = error (see error()).
  virtual long recv_some(uint8_t *buf, size_t max) = 0;
  virtual std::string error() const = 0;

  bool recv_exact(uint8_t *buf, size_t n) {
    for (size_t done = 0; done < n;) {
      long got = recv_some(buf + done, n - done);
      if (got <= 0) return false;
      done += static_cast<size_t>(got);
    }
    return true;
  }
  bool send_bytes(const Bytes &b) { return send(b.data(), b.size()); }

  std::string mech = "none";
  unsigned ssf = 0;
  std::string tls;  // negotiated TLS parameters, empty without TLS
};

// RFB None or SASL (with its layer) through the shared test client.
class RfbStream : public Stream {
 public:
  explicit RfbStream(std::unique_ptr<RfbSaslTestClient> c) : c_(std::move(c)) {}
  bool send(const uint8_t *data, size_t len) override {
    return c_->send(std::span<const uint8_t>(data, len));
  }
  long recv_some(uint8_t *buf, size_t max) override { return c_->recv_some(buf, max); }
  std::string error() const override { return c_->error(); }

 private:
  std::unique_ptr<RfbSaslTestClient> c_;
};

// GnuTLS on a blocking socket with send/receive timeouts. The RFB test
// client that did the clear-text part (CONNECT, version, VeNCrypt) only
// keeps owning the descriptor.
class TlsStream : public Stream {
 public:
  TlsStream(std::unique_ptr<RfbSaslTestClient> c, int timeout_ms)
      : c_(std::move(c)), timeout_ms_(timeout_ms) {}
  ~TlsStream() override {
    if (session_) {
      gnutls_bye(session_, GNUTLS_SHUT_WR);
      gnutls_deinit(session_);
    }
    if (cred_) gnutls_certificate_free_credentials(cred_);
  }

  void handshake(const std::string &ca, const std::string &name, const std::string &priority) {
    int fd = c_->fd();
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) die("fcntl: " + errno_text());
    timeval tv{timeout_ms_ / 1000, (timeout_ms_ % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);

    gnutls_certificate_allocate_credentials(&cred_);
    if (ca.empty()) die("TLS paths need --ca");
    if (gnutls_certificate_set_x509_trust_file(cred_, ca.c_str(), GNUTLS_X509_FMT_PEM) <= 0)
      die("cannot load CA " + ca);
    gnutls_init(&session_, GNUTLS_CLIENT);
    const char *err_pos = nullptr;
    if (gnutls_priority_set_direct(session_, priority.c_str(), &err_pos) < 0)
      die("bad GnuTLS priority near '" + std::string(err_pos ? err_pos : "") + "'");
    gnutls_credentials_set(session_, GNUTLS_CRD_CERTIFICATE, cred_);
    gnutls_server_name_set(session_, GNUTLS_NAME_DNS, name.data(), name.size());
    gnutls_session_set_verify_cert(session_, name.c_str(), 0);
    gnutls_transport_set_int(session_, fd);
    gnutls_handshake_set_timeout(session_, static_cast<unsigned>(timeout_ms_));
    int rc;
    do {
      rc = gnutls_handshake(session_);
    } while (rc < 0 && !gnutls_error_is_fatal(rc) && rc != GNUTLS_E_AGAIN);
    if (rc < 0) die(std::string("TLS handshake: ") + gnutls_strerror(rc));
    if (char *d = gnutls_session_get_desc(session_)) {
      tls = d;
      gnutls_free(d);
    }
    cipher_bits_ =
        static_cast<unsigned>(gnutls_cipher_get_key_size(gnutls_cipher_get(session_)) * 8);
  }

  unsigned cipher_bits() const { return cipher_bits_; }
  int fd() const { return c_->fd(); }

  bool send(const uint8_t *data, size_t len) override {
    while (len > 0) {
      ssize_t n = gnutls_record_send(session_, data, len);
      if (n == GNUTLS_E_INTERRUPTED) continue;
      if (n < 0)
        return fail(n == GNUTLS_E_AGAIN
                        ? "TLS write timed out"
                        : std::string("TLS write: ") + gnutls_strerror(static_cast<int>(n)));
      data += n;
      len -= static_cast<size_t>(n);
    }
    return true;
  }
  long recv_some(uint8_t *buf, size_t max) override {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms_);
    for (;;) {
      ssize_t n = gnutls_record_recv(session_, buf, max);
      if (n == GNUTLS_E_INTERRUPTED) continue;
      // GnuTLS also answers AGAIN after a post-handshake message such as
      // the TLS 1.3 session tickets OpenSSL sends after the handshake.
      if (n == GNUTLS_E_AGAIN && Clock::now() < deadline) continue;
      if (n == 0) {
        error_ = "the server closed the TLS session";
        return 0;
      }
      if (n < 0) {
        fail(n == GNUTLS_E_AGAIN
                 ? "TLS read timed out"
                 : std::string("TLS read: ") + gnutls_strerror(static_cast<int>(n)));
        return -1;
      }
      return static_cast<long>(n);
    }
  }
  std::string error() const override { return error_; }

 private:
  static std::string errno_text() { return std::strerror(errno); }
  bool fail(std::string why) {
    error_ = std::move(why);
    return false;
  }

  std::unique_ptr<RfbSaslTestClient> c_;
  int timeout_ms_;
  gnutls_certificate_credentials_t cred_ = nullptr;
  gnutls_session_t session_ = nullptr;
  unsigned cipher_bits_ = 0;
  std::string error_;
};

// ---- RFB over a Stream (inside TLS) --------------------------------------------

void read_or_die(Stream &s, uint8_t *buf, size_t n, const char *what) {
  if (!s.recv_exact(buf, n)) die(std::string(what) + ": " + s.error());
}

uint32_t read_u32_or_die(Stream &s, const char *what) {
  uint8_t b[4];
  read_or_die(s, b, 4, what);
  return be32(b);
}

Bytes read_string_or_die(Stream &s, size_t max, const char *what) {
  uint32_t len = read_u32_or_die(s, what);
  if (len > max) die(std::string(what) + ": length " + std::to_string(len) + " is absurd");
  Bytes b(len);
  if (len) read_or_die(s, b.data(), len, what);
  return b;
}

void security_result_or_die(Stream &s) {
  uint32_t status = read_u32_or_die(s, "SecurityResult");
  if (status == 0) return;
  Bytes reason = read_string_or_die(s, 65536, "SecurityResult reason");
  die("SecurityResult failed: " + vncgate::testing::printable(std::string_view(
                                      reinterpret_cast<char *>(reason.data()), reason.size())));
}

// ClientInit (shared) + ServerInit.
void init_or_die(Stream &s) {
  const uint8_t shared = 1;
  if (!s.send(&shared, 1)) die("ClientInit: " + s.error());
  uint8_t head[24];
  read_or_die(s, head, sizeof head, "ServerInit");
  Bytes name(be32(head + 20));
  if (name.size() > 65536) die("ServerInit name length is absurd");
  if (!name.empty()) read_or_die(s, name.data(), name.size(), "ServerInit name");
}

// RFB 3.8 with security type None inside TLS (socat relays to the backend).
void rfb_none_or_die(Stream &s) {
  uint8_t version[12];
  read_or_die(s, version, sizeof version, "ProtocolVersion");
  const std::string v38 = "RFB 003.008\n";
  if (!s.send(reinterpret_cast<const uint8_t *>(v38.data()), v38.size()))
    die("ProtocolVersion: " + s.error());
  uint8_t count = 0;
  read_or_die(s, &count, 1, "security types");
  if (count == 0) die("the server refused the connection");
  Bytes types(count);
  read_or_die(s, types.data(), count, "security types");
  if (std::find(types.begin(), types.end(), vncgate::kSecNone) == types.end())
    die("the server does not offer security type None");
  const uint8_t none = vncgate::kSecNone;
  if (!s.send(&none, 1)) die("security type: " + s.error());
  security_result_or_die(s);
  init_or_die(s);
}

std::string sockaddr_text(const sockaddr_storage &ss) {
  char host[INET6_ADDRSTRLEN] = "";
  uint16_t port = 0;
  if (ss.ss_family == AF_INET) {
    auto *in = reinterpret_cast<const sockaddr_in *>(&ss);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto *in = reinterpret_cast<const sockaddr_in6 *>(&ss);
    inet_ntop(AF_INET6, &in->sin6_addr, host, sizeof host);
    port = ntohs(in->sin6_port);
  } else {
    return {};
  }
  return std::string(host) + ";" + std::to_string(port);
}

// The SASL data field as a client sends it (nullopt = no data).
Bytes data_field(const std::optional<Bytes> &out) {
  static const char empty = 0;
  if (!out) return vncgate::encode_sasl_data(nullptr, 0);
  const char *p = out->empty() ? &empty : reinterpret_cast<const char *>(out->data());
  return vncgate::encode_sasl_data(p, static_cast<unsigned>(out->size()));
}

std::optional<Bytes> read_data_field_or_die(Stream &s, const char *what) {
  Bytes b = read_string_or_die(s, vncgate::kMaxSaslClientData + 1, what);
  if (b.empty()) return std::nullopt;
  b.pop_back();  // the terminating NUL
  return b;
}

// SASL (section 2 of rfb-sasl.md) inside X509 TLS, as gtk-vnc does it:
// SSF external = the cipher's key bits, max_ssf 0 (no second layer).
void sasl_in_tls_or_die(TlsStream &s, const Args &a, const std::string &mech) {
  Bytes list = read_string_or_die(s, 65536, "SASL mechanism list");
  std::string mechlist(list.begin(), list.end());
  SaslClientOptions o;
  o.authname = a.get("user");
  o.password = a.get("password");
  o.realm = a.get("realm");
  o.server_fqdn = a.get("server-fqdn", "localhost");
  o.min_ssf = 0;
  o.max_ssf = 0;
  sockaddr_storage local{}, remote{};
  socklen_t ll = sizeof local, rl = sizeof remote;
  getsockname(s.fd(), reinterpret_cast<sockaddr *>(&local), &ll);
  getpeername(s.fd(), reinterpret_cast<sockaddr *>(&remote), &rl);
  SaslClient sasl;
  std::string err;
  if (!sasl.init(o, o.server_fqdn, sockaddr_text(local), sockaddr_text(remote), err)) die(err);
  sasl_ssf_t external = s.cipher_bits();
  if (sasl_setprop(sasl.conn(), SASL_SSF_EXTERNAL, &external) != SASL_OK)
    die("sasl_setprop(SASL_SSF_EXTERNAL) failed");
  std::optional<Bytes> out;
  std::string chosen;
  const std::string offer = mech.empty() ? mechlist : mech;
  auto status = sasl.start(offer, chosen, out, err);
  if (status == SaslClient::Status::Error) die(err + " (server offered '" + mechlist + "')");
  bool client_done = status == SaslClient::Status::Ok;
  Bytes msg;
  vncgate::put_u32(msg, static_cast<uint32_t>(chosen.size()));
  vncgate::put_string(msg, chosen);
  Bytes field = data_field(out);
  msg.insert(msg.end(), field.begin(), field.end());
  if (!s.send_bytes(msg)) die("SASL start: " + s.error());
  for (int round = 0;; ++round) {
    if (round > 32) die("the SASL exchange did not finish");
    std::optional<Bytes> in = read_data_field_or_die(s, "SASL server reply");
    uint8_t complete = 0;
    read_or_die(s, &complete, 1, "SASL complete flag");
    if (complete == 1) {
      if (!client_done && in) {
        std::optional<Bytes> ignored;
        if (sasl.step(in, ignored, err) == SaslClient::Status::Error)
          die("the server's last " + chosen + " message: " + err);
      }
      break;
    }
    std::optional<Bytes> reply;
    if (!client_done) {
      status = sasl.step(in, reply, err);
      if (status == SaslClient::Status::Error) die(err);
      client_done = status == SaslClient::Status::Ok;
    }
    if (!s.send_bytes(data_field(reply))) die("SASL step: " + s.error());
  }
  security_result_or_die(s);
  s.mech = chosen;
  s.ssf = external;  // SASL's own SSF is 0: TLS protects the session
}

// ---- opening a path -------------------------------------------------------------

struct PathSpec {
  std::string label, kind, mech, connect;
  uint16_t port = 0;
  unsigned min_ssf = 0, max_ssf = 0;
};

PathSpec parse_path(const std::string &spec) {
  auto f = split(spec, ',');
  PathSpec p;
  if (f.size() < 3) die("bad --path " + spec);
  p.label = f[0];
  p.kind = f[1];
  p.port = static_cast<uint16_t>(std::strtoul(f[2].c_str(), nullptr, 10));
  if (p.kind == "sasl") {
    if (f.size() < 6) die("bad --path " + spec + " (LABEL,sasl,PORT,MECH,MIN,MAX[,PATH])");
    p.mech = f[3];
    p.min_ssf = static_cast<unsigned>(std::strtoul(f[4].c_str(), nullptr, 10));
    p.max_ssf = static_cast<unsigned>(std::strtoul(f[5].c_str(), nullptr, 10));
    if (f.size() > 6) p.connect = f[6];
  } else if (p.kind == "x509sasl") {
    if (f.size() < 4) die("bad --path " + spec + " (LABEL,x509sasl,PORT,MECH[,PATH])");
    p.mech = f[3];
    if (f.size() > 4) p.connect = f[4];
  } else if (p.kind != "none" && p.kind != "tls-none") {
    die("unknown path kind '" + p.kind + "' in " + spec);
  }
  return p;
}

std::unique_ptr<Stream> open_path(const PathSpec &p, const Args &a) {
  const int timeout = static_cast<int>(a.num("timeout-ms", 30000));
  auto c = std::make_unique<RfbSaslTestClient>(timeout);
  if (!c->connect("127.0.0.1", p.port))
    die(p.label + ": connect 127.0.0.1:" + std::to_string(p.port) + ": " + c->error());
  const std::string ca = a.get("ca"), name = a.get("tls-name", "localhost");
  const std::string priority = a.get("priority", kDefaultPriority);

  if (p.kind == "none" || p.kind == "sasl") {
    std::string mech = "none";
    unsigned ssf = 0;
    if (p.kind == "none") {
      if (!c->handshake_none(p.connect)) die(p.label + ": RFB None handshake: " + c->error());
    } else {
      SaslClientOptions o;
      o.authname = a.get("user");
      o.password = a.get("password");
      o.realm = a.get("realm");
      o.server_fqdn = a.get("server-fqdn", "localhost");
      o.force_mechlist = p.mech;
      o.min_ssf = p.min_ssf;
      o.max_ssf = p.max_ssf;
      vncgate::testing::SaslOutcome out;
      if (!c->handshake_sasl(p.connect, o, &out)) die(p.label + ": SASL handshake: " + c->error());
      mech = out.mechanism;
      ssf = out.ssf;
    }
    if (!c->client_init(true)) die(p.label + ": ClientInit: " + c->error());
    if (!c->read_server_init()) die(p.label + ": ServerInit: " + c->error());
    auto s = std::make_unique<RfbStream>(std::move(c));
    s->mech = mech;
    s->ssf = ssf;
    return s;
  }

  if (p.kind == "tls-none") {
    auto s = std::make_unique<TlsStream>(std::move(c), timeout);
    s->handshake(ca, name, priority);
    rfb_none_or_die(*s);
    s->ssf = s->cipher_bits();
    return s;
  }

  // x509sasl: CONNECT, RFB 3.8, VeNCrypt 0.2, subtype 263, TLS, SASL inside.
  if (!p.connect.empty()) {
    int code = c->http_connect(p.connect);
    if (code != 200)
      die(p.label + ": CONNECT " + p.connect + " answered " + std::to_string(code) + " " +
          c->error());
  }
  if (!c->exchange_version(8)) die(p.label + ": ProtocolVersion: " + c->error());
  auto types = c->read_security_types();
  if (!types) die(p.label + ": security types: " + c->error());
  if (std::find(types->begin(), types->end(), vncgate::kSecVeNCrypt) == types->end())
    die(p.label + ": the server does not offer VeNCrypt (19)");
  if (!c->choose_security_type(vncgate::kSecVeNCrypt)) die(p.label + ": " + c->error());
  auto version = c->recv_raw_exact(2);
  if (!version || (*version)[0] != 0 || (*version)[1] != 2)
    die(p.label + ": no VeNCrypt version 0.2 " + c->error());
  const uint8_t v02[2] = {0, 2};
  if (!c->send_raw(std::span<const uint8_t>(v02, 2))) die(p.label + ": " + c->error());
  auto ack = c->recv_raw_exact(2);
  if (!ack || (*ack)[0] != 0) die(p.label + ": VeNCrypt version refused " + c->error());
  auto subtypes = c->recv_raw_exact(size_t{(*ack)[1]} * 4);
  if (!subtypes) die(p.label + ": VeNCrypt subtypes: " + c->error());
  bool offered = false;
  for (size_t i = 0; i < subtypes->size(); i += 4)
    offered |= be32(subtypes->data() + i) == vncgate::kVeNCryptX509Sasl;
  if (!offered) die(p.label + ": the server does not offer X509SASL (263)");
  Bytes choice;
  vncgate::put_u32(choice, vncgate::kVeNCryptX509Sasl);
  if (!c->send_raw(choice)) die(p.label + ": " + c->error());
  auto accepted = c->recv_raw_exact(1);
  if (!accepted || (*accepted)[0] != 1) die(p.label + ": X509SASL not accepted " + c->error());
  auto s = std::make_unique<TlsStream>(std::move(c), timeout);
  s->handshake(ca, name, priority);
  sasl_in_tls_or_die(*s, a, p.mech);
  init_or_die(*s);
  return s;
}

// ---- the bench protocol -----------------------------------------------------------

void command(Stream &s, uint8_t op, uint64_t count) {
  uint8_t cmd[kCommandSize];
  encode_command(op, count, cmd);
  if (!s.send(cmd, kCommandSize)) die("sending a command: " + s.error());
}

// CPU seconds of a process (or the sum of its children) from /proc.
double cpu_seconds(long pid, bool children) {
  static const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  auto one = [](long p) {
    std::ifstream f("/proc/" + std::to_string(p) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    size_t close = stat.rfind(')');
    if (close == std::string::npos) return 0.0;
    std::istringstream rest(stat.substr(close + 2));
    std::string field;
    double ticks = 0;
    // Fields after "pid (comm) ": state is #3, utime #14, stime #15.
    for (int i = 3; i <= 15 && rest >> field; ++i)
      if (i >= 14) ticks += std::strtod(field.c_str(), nullptr);
    return ticks / tick;
  };
  if (!children) return one(pid);
  double sum = 0;
  std::error_code ec;
  for (const auto &task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream f(task.path() / "children");
    long child;
    while (f >> child) sum += one(child);
  }
  return sum;
}

double own_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval &tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

struct Transfer {
  double mbps = 0;
  double relay_cpu = -1;  // share of one core, -1 = not measured
  double client_cpu = 0;  // this process, share of one core
};

Transfer timed(long pid, bool children, const std::function<void()> &body, uint64_t bytes) {
  double cpu0 = pid > 0 ? cpu_seconds(pid, children) : 0;
  double own0 = own_cpu_seconds();
  auto t0 = Clock::now();
  body();
  double secs = seconds_since(t0);
  Transfer t;
  t.mbps = static_cast<double>(bytes) / 1e6 / secs;
  t.client_cpu = (own_cpu_seconds() - own0) / secs;
  if (pid > 0) t.relay_cpu = (cpu_seconds(pid, children) - cpu0) / secs;
  return t;
}

void upload(Stream &s, uint64_t bytes) {
  std::vector<uint8_t> buf(256 * 1024, 0xa5);
  command(s, kOpUpload, bytes);
  for (uint64_t left = bytes; left > 0;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(left, buf.size()));
    if (!s.send(buf.data(), n)) die("upload: " + s.error());
    left -= n;
  }
  uint8_t ack = 0;
  if (!s.recv_exact(&ack, 1) || ack != kUploadAck) die("upload acknowledgement: " + s.error());
}

void download(Stream &s, uint64_t bytes) {
  std::vector<uint8_t> buf(256 * 1024);
  command(s, kOpDownload, bytes);
  for (uint64_t left = bytes; left > 0;) {
    long n = s.recv_some(buf.data(), static_cast<size_t>(std::min<uint64_t>(left, buf.size())));
    if (n <= 0) die("download: " + s.error());
    left -= static_cast<uint64_t>(n);
  }
}

void pingpong(Stream &s, unsigned pings, unsigned warmup, size_t size, std::vector<double> &rtt) {
  std::vector<uint8_t> out(size, 0x42), in(size);
  command(s, kOpEcho, uint64_t{pings + warmup} * size);
  for (unsigned i = 0; i < pings + warmup; ++i) {
    out[0] = static_cast<uint8_t>(i);
    auto t0 = Clock::now();
    if (!s.send(out.data(), out.size())) die("ping: " + s.error());
    if (!s.recv_exact(in.data(), size)) die("pong: " + s.error());
    double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    if (in != out) die("echo returned different bytes");
    if (i >= warmup) rtt.push_back(us);
  }
}

double percentile(const std::vector<double> &sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

// Tags for key=value output: no blanks inside a value.
std::string compact(std::string s) {
  std::replace(s.begin(), s.end(), ' ', '_');
  return s.empty() ? "-" : s;
}

int cmd_run(const Args &a) {
  if (a.paths.size() != 1) die("run needs exactly one --path");
  PathSpec p = parse_path(a.paths[0]);
  uint64_t bytes = a.num("bytes", 256ull << 20);
  long pid = static_cast<long>(a.num("relay-pid", 0));
  bool children = a.num("relay-children", 0) != 0;
  auto s = open_path(p, a);
  Transfer up = timed(
      pid, children, [&] { upload(*s, bytes); }, bytes);
  Transfer down = timed(
      pid, children, [&] { download(*s, bytes); }, bytes);
  command(*s, kOpQuit, 0);
  std::printf("label=%s mech=%s ssf=%u tls=%s up_MBps=%.1f down_MBps=%.1f", p.label.c_str(),
              s->mech.c_str(), s->ssf, compact(s->tls).c_str(), up.mbps, down.mbps);
  if (pid > 0) std::printf(" up_relay_cpu=%.2f down_relay_cpu=%.2f", up.relay_cpu, down.relay_cpu);
  std::printf(" up_client_cpu=%.2f down_client_cpu=%.2f\n", up.client_cpu, down.client_cpu);
  return 0;
}

// Round trips over several paths in alternating blocks, so that every path
// sees the same machine conditions.
int cmd_rtt(const Args &a) {
  struct Path {
    PathSpec spec;
    std::unique_ptr<Stream> stream;
    std::vector<double> rtt;
  };
  std::vector<Path> paths;
  for (const auto &spec : a.paths) {
    PathSpec p = parse_path(spec);
    paths.push_back({p, open_path(p, a), {}});
  }
  if (paths.empty()) die("rtt needs at least one --path");
  unsigned pings = static_cast<unsigned>(a.num("pings", 10000));
  unsigned blocks = std::max(1u, static_cast<unsigned>(a.num("blocks", 20)));
  size_t size = a.num("ping-size", 64);
  for (unsigned b = 0; b < blocks; ++b)
    for (auto &p : paths) pingpong(*p.stream, pings / blocks, 20, size, p.rtt);
  for (auto &p : paths) {
    command(*p.stream, kOpQuit, 0);
    std::sort(p.rtt.begin(), p.rtt.end());
    std::printf("label=%s mech=%s ssf=%u tls=%s rtt_p50_us=%.1f rtt_p99_us=%.1f pings=%zu\n",
                p.spec.label.c_str(), p.stream->mech.c_str(), p.stream->ssf,
                compact(p.stream->tls).c_str(), percentile(p.rtt, 50), percentile(p.rtt, 99),
                p.rtt.size());
  }
  return 0;
}

// GnuTLS's AEAD encryption speed on one core, measured the way
// `gnutls-cli --benchmark-ciphers` does (16 KiB payloads, one key), for
// AES-256-GCM too, which gnutls-cli 3.7 does not list; and, with krb5,
// MIT Kerberos' encryption for the GSSAPI layer's enctypes.
int cmd_cipher_speed(const Args &a) {
  const double budget = static_cast<double>(a.num("ms", 1000)) / 1000.0;
  const struct {
    gnutls_cipher_algorithm_t alg;
    const char *name;
  } ciphers[] = {{GNUTLS_CIPHER_AES_128_GCM, "AES-128-GCM"},
                 {GNUTLS_CIPHER_AES_256_GCM, "AES-256-GCM"}};
  for (const auto &c : ciphers) {
    std::vector<uint8_t> key(gnutls_cipher_get_key_size(c.alg), 0x11);
    uint8_t nonce[12] = {0};
    gnutls_datum_t k = {key.data(), static_cast<unsigned>(key.size())};
    gnutls_aead_cipher_hd_t h;
    if (gnutls_aead_cipher_init(&h, c.alg, &k) < 0) die(std::string("cannot use ") + c.name);
    std::vector<uint8_t> in(16384, 0x5a), out(16384 + 16);
    uint64_t done = 0;
    auto t0 = Clock::now();
    double secs = 0;
    while ((secs = seconds_since(t0)) < budget) {
      for (int i = 0; i < 64; ++i) {
        size_t outlen = out.size();
        ++nonce[11];
        if (gnutls_aead_cipher_encrypt(h, nonce, sizeof nonce, nullptr, 0, 16, in.data(), in.size(),
                                       out.data(), &outlen) < 0)
          die(std::string("encrypting with ") + c.name);
        done += in.size();
      }
    }
    gnutls_aead_cipher_deinit(h);
    std::printf("cipher=%s payload=16384 MBps=%.1f\n", c.name,
                static_cast<double>(done) / 1e6 / secs);
  }
#ifdef HAVE_KRB5
  // What the Kerberos security layer costs per byte: gss_wrap with the
  // session key's enctype is one krb5 encryption (MIT's libk5crypto).
  krb5_context ctx = nullptr;
  if (krb5_init_context(&ctx) != 0) die("krb5_init_context failed");
  const struct {
    krb5_enctype type;
    const char *name;
  } enctypes[] = {{ENCTYPE_AES256_CTS_HMAC_SHA1_96, "aes256-cts-hmac-sha1-96"},
                  {ENCTYPE_AES256_CTS_HMAC_SHA384_192, "aes256-cts-hmac-sha384-192"}};
  constexpr size_t kPayload = 65536;  // about one SASL layer packet
  for (const auto &e : enctypes) {
    krb5_keyblock key{};
    if (krb5_c_make_random_key(ctx, e.type, &key) != 0) die(std::string("no key for ") + e.name);
    size_t enclen = 0;
    krb5_c_encrypt_length(ctx, e.type, kPayload, &enclen);
    std::vector<char> in(kPayload, 0x5a), out(enclen);
    krb5_data plain{};
    plain.data = in.data();
    plain.length = static_cast<unsigned>(in.size());
    krb5_enc_data enc{};
    enc.ciphertext.data = out.data();
    uint64_t done = 0;
    auto t0 = Clock::now();
    double secs = 0;
    while ((secs = seconds_since(t0)) < budget) {
      enc.ciphertext.length = static_cast<unsigned>(out.size());
      if (krb5_c_encrypt(ctx, &key, 24 /* KG_USAGE_INITIATOR_SEAL */, nullptr, &plain, &enc) != 0)
        die(std::string("krb5_c_encrypt with ") + e.name);
      done += kPayload;
    }
    krb5_free_keyblock_contents(ctx, &key);
    std::printf("cipher=%s payload=%zu MBps=%.1f\n", e.name, kPayload,
                static_cast<double>(done) / 1e6 / secs);
  }
  krb5_free_context(ctx);
#endif
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  gnutls_global_init();
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "run") return cmd_run(parse_args(argc, argv, 2));
  if (cmd == "rtt") return cmd_rtt(parse_args(argc, argv, 2));
  if (cmd == "cipher-speed") return cmd_cipher_speed(parse_args(argc, argv, 2));
  std::fprintf(stderr, "usage: vncgate-security-bench run|rtt --path SPEC... | cipher-speed\n");
  return 2;
}
