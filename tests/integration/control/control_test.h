// Helpers for the control API tests: HTTP requests through curl (a real
// HTTP client, as a web UI backend or an operator would use), JSON through
// json-glib, a strict reader of the Prometheus text format, a small PKI
// made with openssl, and a GatewayTest with [control] socket=, state-dir=
// and public-host= set.
#pragma once

#include <json-glib/json-glib.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway_test.h"
#include "subprocess.h"
#include "temp_dir.h"

namespace vncgate::it {

// ---- HTTP through curl ------------------------------------------------------

struct HttpReply {
  int status = 0;  // 0: no HTTP answer (see curl_error)
  std::string body;
  std::string headers;     // the raw response header block(s)
  std::string curl_error;  // curl's own message when it failed
  int curl_exit = -1;
  std::string header(const std::string &name) const;  // last value, case-insensitive name
  std::string describe() const;                       // for failure messages
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;                     // http://localhost/v1/... or https://127.0.0.1:P/...
  std::optional<std::string> body;     // sent as given (--data-binary)
  std::string body_file;               // or from this file
  std::vector<std::string> headers;    // "Name: value"
  std::vector<std::string> curl_args;  // --unix-socket P, --cacert F, -u U:P, --cert ...
};

// Runs curl once (bounded); files for body and headers go into `dir`.
HttpReply curl(const TempDir &dir, const HttpRequest &request);

// ---- JSON -------------------------------------------------------------------

class Json {
 public:
  static Json parse(const std::string &text);
  bool ok() const { return node_ != nullptr; }
  const std::string &error() const { return error_; }

  bool is_object() const;
  bool is_array() const;
  bool has(const char *member) const;
  bool is_null(const char *member) const;
  // Member of an object; nullopt when missing or of another type.
  std::optional<std::string> str(const char *member) const;
  std::optional<int64_t> integer(const char *member) const;
  std::optional<bool> boolean(const char *member) const;
  Json member(const char *member) const;
  // Array elements.
  size_t size() const;
  Json at(size_t i) const;
  // Text of this node (for messages).
  std::string text() const;

 private:
  std::shared_ptr<JsonParser> parser_;
  JsonNode *node_ = nullptr;
  std::string error_;
};

// "2026-01-01T00:00:00Z" → unix seconds; nullopt when not ISO 8601.
std::optional<int64_t> parse_iso8601(const std::string &text);
int64_t unix_now();

// ---- Prometheus text exposition format 0.0.4 -------------------------------

struct PromSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct PromText {
  std::map<std::string, std::string> types;  // family → counter|gauge|histogram|...
  std::map<std::string, std::string> help;
  std::vector<PromSample> samples;
  // Value of the sample with exactly these labels; nullopt if absent.
  std::optional<double> value(const std::string &name,
                              const std::map<std::string, std::string> &labels = {}) const;
};

// Strict: every sample belongs to a family declared with # TYPE before its
// first sample, families are contiguous, names and labels are well formed,
// histogram buckets are cumulative and end with le="+Inf" == _count.
bool parse_prometheus(const std::string &text, PromText &out, std::string &error);

// ---- a small PKI made with openssl -----------------------------------------

struct TestPki {
  std::string ca_cert, ca_key;
  std::string server_cert, server_key;  // CN=127.0.0.1, SAN IP:127.0.0.1 and DNS:localhost
  std::string client_cert, client_key;  // CN=webui, signed by the CA
  std::string rogue_ca_cert;            // another CA
  std::string rogue_client_cert, rogue_client_key;  // CN=webui, signed by that CA
};
// Generates everything in `dir` (EC P-256 keys); throws with openssl's output.
TestPki make_test_pki(const std::string &dir);

// ---- the fixture ------------------------------------------------------------

// A console link as minted by the API.
struct Link {
  int status = 0;  // of the POST
  std::string url, token_id, expires_at;
  std::string console, token;  // from the URL
  std::string body;            // the raw reply
};

class ControlTest : public GatewayTest {
 protected:
  static constexpr const char *kPublicHost = "gw.example.test";

  ControlTest();

  // Over the Unix control socket.
  HttpReply api(const std::string &method, const std::string &path,
                std::optional<std::string> body = std::nullopt,
                std::vector<std::string> headers = {});
  // POST /v1/consoles/NAME/links with this JSON body.
  Link mint_json(const std::string &console, const std::string &body);
  Link mint(const std::string &console, const std::string &user = "", int ttl = 300,
            bool one_time = true);

  // gtk-vnc options for CONNECT /console/NAME?token=T on the gateway port.
  GvncOptions via_link(const Link &link, const std::string &user = "alice",
                       const std::string &password = kAlicePassword) const;
  // A CONNECT with a token that must be refused: the HTTP status seen.
  int connect_status(const std::string &console_and_query);

  // GET /metrics parsed (fails the test when it does not parse).
  PromText metrics();

  // Runs build/daemon/vncgatectl with these arguments (and stdin); stdout
  // and stderr together.
  CommandResult vncgatectl(const std::vector<std::string> &args, const std::string &input = {});
  // The same with stdout and stderr apart (stdin empty).
  struct CtlResult {
    int exit_code = -1;  // -1: did not exit normally in time
    std::string out, err;
    std::string describe() const;
  };
  CtlResult ctl(const std::vector<std::string> &args);

  std::string socket_;
  std::string state_dir_;
};

// The vncgatectl binary (VNCGATECTL in the environment, else the build tree).
std::string vncgatectl_path();

}  // namespace vncgate::it
