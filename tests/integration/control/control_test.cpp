#include "control_test.h"

#include <glib.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "raw_socket.h"

namespace vncgate::it {

using namespace std::chrono_literals;

// ---- HTTP through curl ------------------------------------------------------

std::string HttpReply::header(const std::string &name) const {
  std::string found;
  std::istringstream in(headers);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t colon = line.find(':');
    if (colon == std::string::npos || colon != name.size()) continue;
    if (g_ascii_strncasecmp(line.c_str(), name.c_str(), name.size()) != 0) continue;
    size_t start = line.find_first_not_of(" \t", colon + 1);
    found = start == std::string::npos ? "" : line.substr(start);
  }
  return found;
}

std::string HttpReply::describe() const {
  std::ostringstream out;
  out << "HTTP " << status << " (curl exit " << curl_exit << ")";
  if (!curl_error.empty()) out << " curl: " << curl_error;
  out << " body: '" << body.substr(0, 2000) << "'";
  return out.str();
}

HttpReply curl(const TempDir &dir, const HttpRequest &request) {
  static std::atomic<int> counter{0};
  const std::string stem = dir.file("curl-" + std::to_string(++counter));
  const std::string body_out = stem + ".body", headers_out = stem + ".headers",
                    err_out = stem + ".stderr";
  std::vector<std::string> argv = {"curl",     "-sS",    "--max-time", "15",
                                   "-o",       body_out, "-D",         headers_out,
                                   "--stderr", err_out,  "-w",         "%{http_code}"};
  const bool has_body = request.body || !request.body_file.empty();
  // curl infers GET, and POST from a body; it warns when told what it infers.
  if (!(request.method == "GET" && !has_body) && !(request.method == "POST" && has_body))
    argv.insert(argv.end(), {"-X", request.method});
  argv.insert(argv.end(), request.curl_args.begin(), request.curl_args.end());
  bool has_content_type = false;
  for (const auto &h : request.headers) {
    argv.insert(argv.end(), {"-H", h});
    if (g_ascii_strncasecmp(h.c_str(), "content-type:", 13) == 0) has_content_type = true;
  }
  std::string body_file = request.body_file;
  if (request.body) {
    body_file = stem + ".request";
    write_file(body_file, *request.body);
  }
  if (!body_file.empty()) {
    argv.insert(argv.end(), {"--data-binary", "@" + body_file});
    if (!has_content_type) argv.insert(argv.end(), {"-H", "Content-Type: application/json"});
  }
  argv.push_back(request.url);

  CommandResult r = run_command(argv, "", 20s);
  HttpReply reply;
  reply.curl_exit = r.exit_code;
  std::string code = r.output;
  while (!code.empty() && !g_ascii_isdigit(code.back())) code.pop_back();
  reply.status = std::atoi(code.c_str());
  reply.body = read_file(body_out);
  reply.headers = read_file(headers_out);
  reply.curl_error = read_file(err_out);
  while (!reply.curl_error.empty() && reply.curl_error.back() == '\n') reply.curl_error.pop_back();
  if (r.exit_code < 0 && reply.curl_error.empty()) reply.curl_error = "curl did not finish in time";
  return reply;
}

// ---- JSON -------------------------------------------------------------------

Json Json::parse(const std::string &text) {
  Json j;
  j.parser_.reset(json_parser_new(), g_object_unref);
  GError *err = nullptr;
  if (!json_parser_load_from_data(j.parser_.get(), text.data(), static_cast<gssize>(text.size()),
                                  &err)) {
    j.error_ = err ? err->message : "parse error";
    if (err) g_error_free(err);
    return j;
  }
  j.node_ = json_parser_get_root(j.parser_.get());
  if (!j.node_) j.error_ = "empty document";
  return j;
}

bool Json::is_object() const {
  return node_ && JSON_NODE_HOLDS_OBJECT(node_);
}
bool Json::is_array() const {
  return node_ && JSON_NODE_HOLDS_ARRAY(node_);
}

bool Json::has(const char *member) const {
  return is_object() && json_object_has_member(json_node_get_object(node_), member);
}

bool Json::is_null(const char *member) const {
  return has(member) &&
         JSON_NODE_HOLDS_NULL(json_object_get_member(json_node_get_object(node_), member));
}

std::optional<std::string> Json::str(const char *member) const {
  if (!has(member)) return std::nullopt;
  JsonNode *n = json_object_get_member(json_node_get_object(node_), member);
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
    return std::nullopt;
  return std::string(json_node_get_string(n));
}

std::optional<int64_t> Json::integer(const char *member) const {
  if (!has(member)) return std::nullopt;
  JsonNode *n = json_object_get_member(json_node_get_object(node_), member);
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64) return std::nullopt;
  return json_node_get_int(n);
}

std::optional<bool> Json::boolean(const char *member) const {
  if (!has(member)) return std::nullopt;
  JsonNode *n = json_object_get_member(json_node_get_object(node_), member);
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN)
    return std::nullopt;
  return json_node_get_boolean(n) != FALSE;
}

Json Json::member(const char *member) const {
  Json j;
  j.parser_ = parser_;
  if (has(member)) j.node_ = json_object_get_member(json_node_get_object(node_), member);
  return j;
}

size_t Json::size() const {
  return is_array() ? json_array_get_length(json_node_get_array(node_)) : 0;
}

Json Json::at(size_t i) const {
  Json j;
  j.parser_ = parser_;
  if (i < size())
    j.node_ = json_array_get_element(json_node_get_array(node_), static_cast<guint>(i));
  return j;
}

std::string Json::text() const {
  if (!node_) return "(invalid JSON: " + error_ + ")";
  gchar *t = json_to_string(node_, FALSE);
  std::string s = t;
  g_free(t);
  return s;
}

std::optional<int64_t> parse_iso8601(const std::string &text) {
  GDateTime *t = g_date_time_new_from_iso8601(text.c_str(), nullptr);
  if (!t) return std::nullopt;
  int64_t s = g_date_time_to_unix(t);
  g_date_time_unref(t);
  return s;
}

int64_t unix_now() {
  return g_get_real_time() / 1000000;
}

// ---- Prometheus ---------------------------------------------------------------

std::optional<double> PromText::value(const std::string &name,
                                      const std::map<std::string, std::string> &labels) const {
  for (const auto &s : samples)
    if (s.name == name && s.labels == labels) return s.value;
  return std::nullopt;
}

namespace {

bool metric_name_ok(const std::string &n) {
  static const std::regex re("[a-zA-Z_:][a-zA-Z0-9_:]*");
  return std::regex_match(n, re);
}

bool parse_float(const std::string &t, double &out) {
  if (t == "+Inf" || t == "Inf") {
    out = INFINITY;
    return true;
  }
  if (t == "-Inf") {
    out = -INFINITY;
    return true;
  }
  if (t == "NaN") {
    out = NAN;
    return true;
  }
  static const std::regex re("[-+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+)?");
  if (!std::regex_match(t, re)) return false;
  out = g_ascii_strtod(t.c_str(), nullptr);
  return true;
}

// name{a="x",b="y"} value [timestamp]
bool parse_sample(const std::string &line, PromSample &s, std::string &error) {
  size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  s.name = line.substr(0, i);
  if (!metric_name_ok(s.name)) {
    error = "bad metric name '" + s.name + "'";
    return false;
  }
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (true) {
      if (i < line.size() && line[i] == '}') {
        ++i;
        break;
      }
      size_t eq = line.find('=', i);
      if (eq == std::string::npos) {
        error = "label without '='";
        return false;
      }
      std::string label = line.substr(i, eq - i);
      static const std::regex label_re("[a-zA-Z_][a-zA-Z0-9_]*");
      if (!std::regex_match(label, label_re)) {
        error = "bad label name '" + label + "'";
        return false;
      }
      i = eq + 1;
      if (i >= line.size() || line[i] != '"') {
        error = "label value not quoted";
        return false;
      }
      ++i;
      std::string value;
      bool closed = false;
      while (i < line.size()) {
        char c = line[i++];
        if (c == '\\') {
          if (i >= line.size()) break;
          char e = line[i++];
          if (e == 'n')
            value += '\n';
          else if (e == '\\' || e == '"')
            value += e;
          else {
            error = "bad escape in label value";
            return false;
          }
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          value += c;
        }
      }
      if (!closed) {
        error = "unterminated label value";
        return false;
      }
      if (s.labels.count(label)) {
        error = "label '" + label + "' twice";
        return false;
      }
      s.labels[label] = value;
      if (i < line.size() && line[i] == ',')
        ++i;
      else if (i < line.size() && line[i] == '}')
        continue;
      else {
        error = "expected ',' or '}' after a label";
        return false;
      }
    }
  }
  if (i >= line.size() || line[i] != ' ') {
    error = "no value";
    return false;
  }
  std::string rest = line.substr(i + 1);
  std::string value = rest, timestamp;
  size_t sp = rest.find(' ');
  if (sp != std::string::npos) {
    value = rest.substr(0, sp);
    timestamp = rest.substr(sp + 1);
    if (!std::regex_match(timestamp, std::regex("-?[0-9]+"))) {
      error = "bad timestamp '" + timestamp + "'";
      return false;
    }
  }
  if (!parse_float(value, s.value)) {
    error = "bad value '" + value + "'";
    return false;
  }
  return true;
}

}  // namespace

bool parse_prometheus(const std::string &text, PromText &out, std::string &error) {
  out = PromText{};
  if (text.empty() || text.back() != '\n') {
    error = "the text does not end with a line feed";
    return false;
  }
  std::istringstream in(text);
  std::string line;
  int number = 0;
  std::string current_family;
  std::vector<std::string> finished;  // families whose samples are over
  auto family_of = [&](const std::string &name) -> std::string {
    if (out.types.count(name)) return name;
    for (const char *suffix : {"_bucket", "_sum", "_count"}) {
      std::string sfx = suffix;
      if (name.size() > sfx.size() && name.ends_with(sfx)) {
        std::string base = name.substr(0, name.size() - sfx.size());
        auto t = out.types.find(base);
        if (t != out.types.end() && (t->second == "histogram" || t->second == "summary"))
          return base;
      }
    }
    return {};
  };
  while (std::getline(in, line)) {
    ++number;
    auto fail = [&](const std::string &why) {
      error = "line " + std::to_string(number) + " '" + line + "': " + why;
      return false;
    };
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::istringstream words(line);
      std::string hash, kind, name;
      words >> hash >> kind >> name;
      if (hash != "#" || (kind != "TYPE" && kind != "HELP")) continue;  // a comment
      if (!metric_name_ok(name)) return fail("bad metric name");
      std::string rest;
      std::getline(words, rest);
      if (!rest.empty() && rest[0] == ' ') rest.erase(0, 1);
      if (kind == "TYPE") {
        static const std::vector<std::string> kinds = {"counter", "gauge", "histogram", "summary",
                                                       "untyped"};
        if (std::find(kinds.begin(), kinds.end(), rest) == kinds.end())
          return fail("unknown type '" + rest + "'");
        if (out.types.count(name)) return fail("second TYPE line for " + name);
        for (const auto &s : out.samples)
          if (family_of(s.name) == name || s.name == name)
            return fail("TYPE after samples of " + name);
        out.types[name] = rest;
      } else {
        if (out.help.count(name)) return fail("second HELP line for " + name);
        out.help[name] = rest;
      }
      continue;
    }
    PromSample s;
    std::string why;
    if (!parse_sample(line, s, why)) return fail(why);
    std::string family = family_of(s.name);
    if (family.empty()) return fail("sample of " + s.name + " without a # TYPE line before it");
    if (family != current_family) {
      if (std::find(finished.begin(), finished.end(), family) != finished.end())
        return fail("samples of " + family + " are not contiguous");
      if (!current_family.empty()) finished.push_back(current_family);
      current_family = family;
    }
    const std::string &type = out.types[family];
    if (type == "counter" && !(s.value >= 0)) return fail("negative or NaN counter");
    if (type == "histogram" && s.name == family + "_bucket" && !s.labels.count("le"))
      return fail("bucket without le");
    for (const auto &other : out.samples)
      if (other.name == s.name && other.labels == s.labels) return fail("duplicate sample");
    out.samples.push_back(std::move(s));
  }
  // Histograms: cumulative buckets ending with +Inf equal to _count.
  for (const auto &[family, type] : out.types) {
    if (type != "histogram") continue;
    std::vector<std::pair<double, double>> buckets;
    for (const auto &s : out.samples) {
      if (s.name != family + "_bucket") continue;
      double le = 0;
      if (!parse_float(s.labels.at("le"), le)) {
        error = family + ": bad le '" + s.labels.at("le") + "'";
        return false;
      }
      buckets.emplace_back(le, s.value);
    }
    std::sort(buckets.begin(), buckets.end());
    if (buckets.empty() || !std::isinf(buckets.back().first)) {
      error = family + ": no le=\"+Inf\" bucket";
      return false;
    }
    for (size_t i = 1; i < buckets.size(); ++i)
      if (buckets[i].second < buckets[i - 1].second) {
        error = family + ": buckets are not cumulative";
        return false;
      }
    auto count = out.value(family + "_count");
    if (!count || !out.value(family + "_sum")) {
      error = family + ": _count or _sum missing";
      return false;
    }
    if (*count != buckets.back().second) {
      error = family + ": le=\"+Inf\" bucket differs from _count";
      return false;
    }
  }
  return true;
}

// ---- PKI ------------------------------------------------------------------------

namespace {

void openssl(const std::vector<std::string> &args) {
  std::vector<std::string> argv = {"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult r = run_command(argv, "", 30s);
  if (r.exit_code != 0) {
    std::string cmd;
    for (const auto &a : argv) cmd += a + " ";
    throw std::runtime_error("openssl failed: " + cmd + "\n" + r.output);
  }
}

void make_ca(const std::string &dir, const std::string &name, const std::string &cn) {
  openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
           "-keyout", dir + "/" + name + ".key", "-out", dir + "/" + name + ".pem", "-days", "3",
           "-subj", "/CN=" + cn, "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
           "keyUsage=critical,keyCertSign,cRLSign"});
}

void make_leaf(const std::string &dir, const std::string &ca, const std::string &name,
               const std::string &cn, const std::string &extensions) {
  const std::string key = dir + "/" + name + ".key", csr = dir + "/" + name + ".csr",
                    ext = dir + "/" + name + ".ext";
  write_file(ext, extensions);
  openssl({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
           "-keyout", key, "-out", csr, "-subj", "/CN=" + cn});
  openssl({"x509", "-req", "-in", csr, "-CA", dir + "/" + ca + ".pem", "-CAkey",
           dir + "/" + ca + ".key", "-CAcreateserial", "-out", dir + "/" + name + ".pem", "-days",
           "2", "-extfile", ext});
}

}  // namespace

TestPki make_test_pki(const std::string &dir) {
  make_ca(dir, "ca", "vncgate control test CA");
  make_ca(dir, "rogue-ca", "someone else's CA");
  make_leaf(dir, "ca", "server", "127.0.0.1",
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
            "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n");
  const std::string client_ext =
      "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage="
      "clientAuth\n";
  make_leaf(dir, "ca", "client", "webui", client_ext);
  make_leaf(dir, "rogue-ca", "rogue-client", "webui", client_ext);
  TestPki p;
  p.ca_cert = dir + "/ca.pem";
  p.ca_key = dir + "/ca.key";
  p.server_cert = dir + "/server.pem";
  p.server_key = dir + "/server.key";
  p.client_cert = dir + "/client.pem";
  p.client_key = dir + "/client.key";
  p.rogue_ca_cert = dir + "/rogue-ca.pem";
  p.rogue_client_cert = dir + "/rogue-client.pem";
  p.rogue_client_key = dir + "/rogue-client.key";
  return p;
}

// ---- the fixture ------------------------------------------------------------

std::string vncgatectl_path() {
  if (const char *p = std::getenv("VNCGATECTL"); p && *p) return p;
  return std::string(VNCGATE_BUILD_ROOT) + "/daemon/vncgatectl";
}

ControlTest::ControlTest() {
  socket_ = dir_.file("control.sock");
  state_dir_ = dir_.file("state");  // the daemon creates it
  daemon_.config()
      .set("gateway", "state-dir", state_dir_)
      .set("gateway", "public-host", kPublicHost)
      .set("control", "socket", socket_);
}

HttpReply ControlTest::api(const std::string &method, const std::string &path,
                           std::optional<std::string> body, std::vector<std::string> headers) {
  HttpRequest r;
  r.method = method;
  r.url = "http://localhost" + path;
  r.body = std::move(body);
  r.headers = std::move(headers);
  r.curl_args = {"--unix-socket", socket_};
  return curl(dir_, r);
}

Link ControlTest::mint_json(const std::string &console, const std::string &body) {
  HttpReply r = api("POST", "/v1/consoles/" + console + "/links", body);
  Link link;
  link.status = r.status;
  link.body = r.body;
  Json j = Json::parse(r.body);
  link.url = j.str("url").value_or("");
  link.token_id = j.str("token_id").value_or("");
  link.expires_at = j.str("expires_at").value_or("");
  static const std::regex url_re("vncgate://[^/]+/console/([^?]+)\\?token=(.*)");
  std::smatch m;
  if (std::regex_match(link.url, m, url_re)) {
    link.console = m[1];
    link.token = m[2];
  }
  return link;
}

Link ControlTest::mint(const std::string &console, const std::string &user, int ttl,
                       bool one_time) {
  std::string body =
      "{\"ttl\": " + std::to_string(ttl) + ", \"one_time\": " + (one_time ? "true" : "false");
  if (!user.empty()) body += ", \"user\": \"" + user + "\"";
  body += "}";
  return mint_json(console, body);
}

GvncOptions ControlTest::via_link(const Link &link, const std::string &user,
                                  const std::string &password) const {
  GvncOptions o = via_gateway(link.console + "?token=" + link.token, user, password);
  return o;
}

int ControlTest::connect_status(const std::string &console_and_query) {
  RawSocket s;
  std::string error, reply;
  if (!s.connect(daemon_.gateway_port(), error)) return -1;
  if (!s.send("CONNECT /console/" + console_and_query + " HTTP/1.1\r\nHost: localhost\r\n\r\n",
              error))
    return -1;
  s.read_until("\r\n\r\n", reply, 10000);
  if (!reply.starts_with("HTTP/1.") || reply.size() < 12) return 0;
  return std::atoi(reply.c_str() + 9);
}

PromText ControlTest::metrics() {
  HttpReply r = api("GET", "/metrics");
  PromText p;
  std::string error;
  EXPECT_EQ(r.status, 200) << r.describe();
  EXPECT_TRUE(parse_prometheus(r.body, p, error)) << error << "\n" << r.body;
  return p;
}

CommandResult ControlTest::vncgatectl(const std::vector<std::string> &args,
                                      const std::string &input) {
  std::vector<std::string> argv = {vncgatectl_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, input, 20s);
}

ControlTest::CtlResult ControlTest::ctl(const std::vector<std::string> &args) {
  static std::atomic<int> counter{0};
  const std::string stem = dir_.file("ctl-" + std::to_string(++counter));
  SpawnOptions o;
  o.argv = {vncgatectl_path()};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.stdout_path = stem + ".out";
  o.stderr_path = stem + ".err";
  o.env = {{"LC_ALL", "C"}};
  o.unset_env = {"LANGUAGE"};
  CtlResult r;
  Subprocess p;
  std::string error;
  if (!p.start(o, error)) {
    r.err = error;
    return r;
  }
  auto status = p.wait(20s);
  if (status && WIFEXITED(*status)) r.exit_code = WEXITSTATUS(*status);
  p.kill_and_reap();
  r.out = read_file(o.stdout_path);
  r.err = read_file(o.stderr_path);
  return r;
}

std::string ControlTest::CtlResult::describe() const {
  return "exit " + std::to_string(exit_code) + "; stdout: '" + out + "'; stderr: '" + err + "'";
}

}  // namespace vncgate::it
