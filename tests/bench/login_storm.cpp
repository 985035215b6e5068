// vncgate-login-storm: SCRAM-SHA-256 login load against one vncgated, for
// tests/bench/run-login-bench.sh (the "SASL logins" rows of ./run bench).
//
//   vncgate-login-storm logins CONN [--clients N] [--seconds S] [--warmup N]
//       N clients log in again and again (RFB SASL type 20, SCRAM-SHA-256,
//       ClientInit/ServerInit through the relay, close) for S seconds:
//       the daemon's login capacity.
//   vncgate-login-storm storm-rtt CONN [--rate R] [--seconds S] [--idle-seconds S]
//       [--kind login|start] [--threads N] [--ping-interval-us N] [--ping-size N]
//       A live relay session pings the bench backend (one echo every
//       interval) for --idle-seconds alone, then for --seconds while other
//       connections open R SCRAM logins per second (kind=start: the
//       unauthenticated first step only, then close).
// CONN: --port P --user U --password PW [--host H] [--connect PATH]
//       [--label L] [--timeout-ms N]
//
// The client side of SCRAM is computed here with GnuTLS, and its PBKDF2
// once per salt (see salted_password), so that on a small machine the
// daemon, not the load generator, decides the login rate. Results are one
// line of key=value pairs.
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench_protocol.h"
#include "rfb/parse.h"
#include "rfb/rfb_server.h"
#include "rfb/sasl_messages.h"
#include "rfb_test_client.h"

namespace {

using vncgate::Bytes;
using vncgate::testing::RfbSaslTestClient;
using Clock = std::chrono::steady_clock;
using namespace vncgate::bench;

struct Args {
  std::map<std::string, std::string> kv;
  std::string get(const std::string &k, const std::string &def = {}) const {
    auto it = kv.find(k);
    return it == kv.end() ? def : it->second;
  }
  double num(const std::string &k, double def) const {
    auto it = kv.find(k);
    return it == kv.end() ? def : std::strtod(it->second.c_str(), nullptr);
  }
};

[[noreturn]] void die(const std::string &msg) {
  std::fprintf(stderr, "vncgate-login-storm: %s\n", msg.c_str());
  std::exit(1);
}

Args parse_args(int argc, char **argv) {
  Args a;
  for (int i = 2; i < argc; ++i) {
    std::string k = argv[i];
    if (k.rfind("--", 0) != 0 || i + 1 >= argc) die("bad argument: " + k);
    a.kv[k.substr(2)] = argv[++i];
  }
  return a;
}

// ---- SCRAM-SHA-256 client (RFC 5802, RFC 7677) ------------------------------------

constexpr size_t kHashLen = 32;
using Digest = std::array<uint8_t, kHashLen>;

std::string base64(const uint8_t *p, size_t n) {
  gnutls_datum_t in{const_cast<uint8_t *>(p), static_cast<unsigned>(n)}, out{};
  if (gnutls_base64_encode2(&in, &out) < 0) die("base64 encoding failed");
  std::string s(reinterpret_cast<char *>(out.data), out.size);
  gnutls_free(out.data);
  return s;
}

std::optional<Bytes> unbase64(const std::string &s) {
  gnutls_datum_t in{reinterpret_cast<uint8_t *>(const_cast<char *>(s.data())),
                    static_cast<unsigned>(s.size())},
      out{};
  if (gnutls_base64_decode2(&in, &out) < 0) return std::nullopt;
  Bytes b(out.data, out.data + out.size);
  gnutls_free(out.data);
  return b;
}

Digest hmac(const uint8_t *key, size_t key_len, const std::string &text) {
  Digest d;
  gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, key_len, text.data(), text.size(), d.data());
  return d;
}

// The value of "k=" in a comma-separated SCRAM message ("" if absent).
std::string attribute(const std::string &msg, char k) {
  for (size_t at = 0; at < msg.size();) {
    size_t comma = msg.find(',', at);
    if (comma == std::string::npos) comma = msg.size();
    if (comma - at >= 2 && msg[at] == k && msg[at + 1] == '=')
      return msg.substr(at + 2, comma - at - 2);
    at = comma + 1;
  }
  return {};
}

class ScramClient {
 public:
  ScramClient(std::string user, std::string password)
      : user_(std::move(user)), password_(std::move(password)) {}

  std::string first() {
    uint8_t raw[18];
    gnutls_rnd(GNUTLS_RND_NONCE, raw, sizeof raw);
    nonce_ = base64(raw, sizeof raw);
    first_bare_ = "n=" + user_ + ",r=" + nonce_;
    return "n,," + first_bare_;
  }

  // The client-final message for the server-first one, or nullopt.
  std::optional<std::string> final(const std::string &server_first, std::string &error) {
    std::string nonce = attribute(server_first, 'r');
    auto salt = unbase64(attribute(server_first, 's'));
    long iterations = std::strtol(attribute(server_first, 'i').c_str(), nullptr, 10);
    if (nonce.rfind(nonce_, 0) != 0 || !salt || iterations < 1 || iterations > 1000000) {
      error = "bad SCRAM server-first message: " + server_first;
      return std::nullopt;
    }
    auto salted = salted_password(*salt, static_cast<unsigned>(iterations), error);
    if (!salted) return std::nullopt;
    Digest client_key = hmac(salted->data(), salted->size(), "Client Key");
    Digest stored_key;
    gnutls_hash_fast(GNUTLS_DIG_SHA256, client_key.data(), client_key.size(), stored_key.data());
    std::string without_proof = "c=biws,r=" + nonce;  // biws = base64("n,,")
    std::string auth_message = first_bare_ + "," + server_first + "," + without_proof;
    Digest signature = hmac(stored_key.data(), stored_key.size(), auth_message);
    Digest proof;
    for (size_t i = 0; i < kHashLen; ++i) proof[i] = client_key[i] ^ signature[i];
    Digest server_key = hmac(salted->data(), salted->size(), "Server Key");
    expected_verifier_ =
        base64(hmac(server_key.data(), server_key.size(), auth_message).data(), kHashLen);
    return without_proof + ",p=" + base64(proof.data(), proof.size());
  }

  bool verify(const std::string &server_final) const {
    return attribute(server_final, 'v') == expected_verifier_;
  }

 private:
  // SaltedPassword depends only on the password, the user's salt and the
  // iteration count, so it is computed once per (salt, iterations), as RFC
  // 5802 §5.1 allows a client to: the load generator then spends almost
  // nothing per login and the daemon's PBKDF2 alone sets the rate.
  std::optional<Digest> salted_password(const std::vector<uint8_t> &salt, unsigned iterations,
                                        std::string &error) {
    static std::mutex mutex;
    static std::map<std::pair<std::vector<uint8_t>, unsigned>, Digest> cache;
    std::lock_guard lock(mutex);
    auto key_of_cache = std::make_pair(salt, iterations);
    if (auto it = cache.find(key_of_cache); it != cache.end()) return it->second;
    Digest salted;
    gnutls_datum_t key{reinterpret_cast<uint8_t *>(password_.data()),
                       static_cast<unsigned>(password_.size())},
        salt_datum{const_cast<uint8_t *>(salt.data()), static_cast<unsigned>(salt.size())};
    if (gnutls_pbkdf2(GNUTLS_MAC_SHA256, &key, &salt_datum, iterations, salted.data(),
                      salted.size()) < 0) {
      error = "PBKDF2 failed";
      return std::nullopt;
    }
    cache.emplace(std::move(key_of_cache), salted);
    return salted;
  }

  std::string user_, password_, nonce_, first_bare_, expected_verifier_;
};

// ---- RFB SASL (docs/rfb-sasl.md §2) -------------------------------------------------

bool send_data(RfbSaslTestClient &c, const std::string &text) {
  Bytes field = vncgate::encode_sasl_data(text.data(), static_cast<unsigned>(text.size()));
  return c.send_raw(field);
}

// One server reply: data (without its NUL) and the complete flag.
bool read_reply(RfbSaslTestClient &c, std::string &data, bool &complete) {
  auto len = c.recv_raw_exact(4);
  if (!len) return false;
  uint32_t n = vncgate::read_u32(*len, 0);
  if (n > (1u << 20)) return false;
  data.clear();
  if (n > 0) {
    auto body = c.recv_raw_exact(n);
    if (!body) return false;
    data.assign(body->begin(), body->end() - 1);
  }
  auto flag = c.recv_raw_exact(1);
  if (!flag) return false;
  complete = (*flag)[0] == 1;
  return true;
}

enum class Kind { Start, Login };

// Opens a connection and runs SCRAM up to `kind`: the first server reply
// (Start) or a full login through ServerInit (Login). The caller closes
// the returned connection by dropping it, or keeps it as a live session.
std::unique_ptr<RfbSaslTestClient> scram(const Args &a, Kind kind, std::string &error) {
  auto c = std::make_unique<RfbSaslTestClient>(static_cast<int>(a.num("timeout-ms", 30000)));
  auto fail = [&](const std::string &what) {
    error = what + ": " + c->error();
    return nullptr;
  };
  if (!c->connect(a.get("host", "127.0.0.1"), static_cast<uint16_t>(a.num("port", 0))))
    return fail("connect");
  std::string path = a.get("connect");
  if (!path.empty() && c->http_connect(path) != 200) return fail("CONNECT " + path);
  if (!c->exchange_version(8)) return fail("version");
  auto types = c->read_security_types();
  if (!types || std::find(types->begin(), types->end(), vncgate::kSecSasl) == types->end())
    return fail("security types (no SASL)");
  if (!c->choose_security_type(vncgate::kSecSasl) || !c->read_sasl_mechlist())
    return fail("SASL mechanism list");
  ScramClient scram(a.get("user"), a.get("password"));
  Bytes start;
  vncgate::put_u32(start, 13);
  vncgate::put_string(start, "SCRAM-SHA-256");
  if (!c->send_raw(start) || !send_data(*c, scram.first())) return fail("SCRAM start");
  std::string reply;
  bool complete = false;
  if (!read_reply(*c, reply, complete) || complete) return fail("SCRAM server-first");
  if (kind == Kind::Start) return c;
  auto final = scram.final(reply, error);
  if (!final) return nullptr;
  if (!send_data(*c, *final) || !read_reply(*c, reply, complete) || !complete)
    return fail("SCRAM server-final");
  if (!scram.verify(reply)) return fail("SCRAM server signature");
  auto result = c->read_security_result();
  if (!result || !result->ok()) return fail("SecurityResult");
  if (!c->client_init(true) || !c->read_server_init()) return fail("ServerInit");
  return c;
}

double percentile(const std::vector<double> &sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

// ---- commands ------------------------------------------------------------------------

int cmd_logins(const Args &a) {
  unsigned clients = static_cast<unsigned>(a.num("clients", 4));
  auto seconds = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(a.num("seconds", 5)));
  std::string error;
  for (int i = 0; i < static_cast<int>(a.num("warmup", 20)); ++i)
    if (!scram(a, Kind::Login, error)) die("warm-up login: " + error);
  std::atomic<unsigned> done{0}, failed{0};
  std::atomic<bool> first_error_taken{false};
  std::string first_error;
  const auto t0 = Clock::now(), end = t0 + seconds;
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < clients; ++t)
    threads.emplace_back([&] {
      while (Clock::now() < end) {
        std::string why;
        if (scram(a, Kind::Login, why)) {
          ++done;
        } else {
          ++failed;
          if (!first_error_taken.exchange(true)) first_error = why;
        }
      }
    });
  for (auto &t : threads) t.join();
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  if (failed > 0)
    std::fprintf(stderr, "vncgate-login-storm: a login failed: %s\n", first_error.c_str());
  std::printf("label=%s clients=%u logins=%u failed=%u seconds=%.2f logins_per_s=%.1f\n",
              a.get("label", "logins").c_str(), clients, done.load(), failed.load(), secs,
              done / secs);
  return failed > 0 ? 1 : 0;
}

// Pings the echo session every `interval` until `end`; appends the RTTs (µs).
void ping_until(RfbSaslTestClient &c, Clock::time_point end, std::chrono::microseconds interval,
                size_t size, std::vector<double> &rtt) {
  std::vector<uint8_t> out(size, 0x42), in(size);
  for (auto next = Clock::now(); next < end; next += interval) {
    std::this_thread::sleep_until(next);  // pacing: a user's keystrokes, not a flood
    out[0] = static_cast<uint8_t>(rtt.size());
    auto t0 = Clock::now();
    if (!c.send(out) || !c.recv_exact(in.data(), size)) die("ping: " + c.error());
    rtt.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    if (in != out) die("echo returned different bytes");
    if (Clock::now() > next + interval) next = Clock::now() - interval;  // no catch-up burst
  }
}

int cmd_storm_rtt(const Args &a) {
  std::string error;
  auto live = scram(a, Kind::Login, error);
  if (!live) die("live session: " + error);
  uint8_t cmd[kCommandSize];
  encode_command(kOpEcho, uint64_t{1} << 40, cmd);
  if (!live->send(std::span<const uint8_t>(cmd, kCommandSize)))
    die("echo command: " + live->error());
  const auto interval =
      std::chrono::microseconds(static_cast<long>(a.num("ping-interval-us", 2000)));
  const size_t size = static_cast<size_t>(a.num("ping-size", 64));
  std::vector<double> idle, loaded;
  auto idle_for = std::chrono::duration<double>(a.num("idle-seconds", 2));
  ping_until(*live, Clock::now() + std::chrono::duration_cast<Clock::duration>(idle_for), interval,
             size, idle);

  // The storm: login i is due at t0 + i/rate; a thread that falls behind
  // starts the next one at once, so the achieved rate is reported too.
  const Kind kind = a.get("kind", "login") == "start" ? Kind::Start : Kind::Login;
  const double rate = a.num("rate", 100);
  const auto storm_for = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(a.num("seconds", 5)));
  std::atomic<unsigned> next_index{0}, done{0}, failed{0};
  std::atomic<bool> stop{false};
  const auto t0 = Clock::now(), end = t0 + storm_for;
  std::vector<std::thread> threads;
  for (int t = 0; t < static_cast<int>(a.num("threads", 16)); ++t)
    threads.emplace_back([&] {
      while (!stop) {
        unsigned i = next_index++;
        auto due = t0 + std::chrono::duration_cast<Clock::duration>(
                            std::chrono::duration<double>(i / rate));
        if (due >= end) return;
        std::this_thread::sleep_until(due);
        std::string why;
        if (scram(a, kind, why))
          ++done;
        else
          ++failed;
      }
    });
  ping_until(*live, end, interval, size, loaded);
  stop = true;
  for (auto &t : threads) t.join();
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  encode_command(kOpQuit, 0, cmd);
  live->send(std::span<const uint8_t>(cmd, kCommandSize));

  std::sort(idle.begin(), idle.end());
  std::sort(loaded.begin(), loaded.end());
  std::printf(
      "label=%s kind=%s rate=%.0f storm_done=%u storm_failed=%u storm_per_s=%.1f "
      "idle_p50_us=%.1f idle_p99_us=%.1f rtt_p50_us=%.1f rtt_p99_us=%.1f rtt_max_us=%.1f "
      "pings=%zu\n",
      a.get("label", "storm").c_str(), kind == Kind::Start ? "start" : "login", rate, done.load(),
      failed.load(), done / secs, percentile(idle, 50), percentile(idle, 99),
      percentile(loaded, 50), percentile(loaded, 99), loaded.empty() ? 0.0 : loaded.back(),
      loaded.size());
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "logins") return cmd_logins(parse_args(argc, argv));
  if (cmd == "storm-rtt") return cmd_storm_rtt(parse_args(argc, argv));
  std::fprintf(stderr,
               "usage: vncgate-login-storm logins|storm-rtt --port P --user U --password PW ...\n");
  return 2;
}
