// The documented deployment (docs/cluster.md) without Redis: the real
// HAProxy with examples/cluster/haproxy.cfg in front of three vncgated
// nodes configured with examples/cluster/vncgated-node.conf, all on
// loopback (the examples' addresses replaced, nothing else). Clients
// through HAProxy reach the console on every node; a drained node keeps
// its running session while HAProxy, having marked it down from its
// health check, sends the new clients to the other nodes; undrained, it
// takes clients again.
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "control_test.h"
#include "haproxy_process.h"
#include "raw_socket.h"
#include "redis_server.h"
#include "rfb_test_client.h"
#include "wait.h"

namespace vncgate::it {
namespace {

using namespace std::chrono_literals;
using vncgate::testing::RfbSaslTestClient;

using Substitutions = std::vector<std::pair<std::string, std::string>>;

std::string example_path(const std::string &name) {
  return std::string(VNCGATE_SOURCE_ROOT) + "/examples/cluster/" + name;
}

// Replaces every `from` (each must occur: the test follows the example).
std::string substitute(std::string text, const Substitutions &subs) {
  for (const auto &[from, to] : subs) {
    size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << "\"" << from << "\" is no longer in the example";
    for (; at != std::string::npos; at = text.find(from, at + to.size()))
      text.replace(at, from.size(), to);
  }
  return text;
}

// Sets every key of a GKeyFile text (comments and blank lines skipped).
void apply_key_file(const std::string &text, DaemonConfig &config) {
  std::istringstream in(text);
  std::string line, section;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      section = line.substr(1, line.find(']') - 1);
      continue;
    }
    size_t eq = line.find('=');
    if (eq != std::string::npos) config.set(section, line.substr(0, eq), line.substr(eq + 1));
  }
}

struct Node {
  std::unique_ptr<TempDir> dir = std::make_unique<TempDir>();
  std::unique_ptr<VncgatedProcess> daemon;
  uint16_t health_port = free_loopback_port();
  std::string socket;
};

class HaproxyClusterTest : public ::testing::Test {
 protected:
  static constexpr int kNodes = 3;
  // HAProxy's address towards the nodes: not 127.0.0.1, which the tests
  // connect to the nodes from directly.
  static constexpr const char *kHaproxySource = "127.0.0.5";

  HaproxyClusterTest()
      : fake_(dir_.subdir("fake-mkvterm")),
        sasl_(dir_.subdir("sasl")),
        haproxy_(dir_, dir_.file("haproxy.sock")) {
    sasl_.add("alice", kAlicePassword);
  }

  void SetUp() override {
    if (HaproxyProcess::binary().empty()) GTEST_SKIP() << "haproxy is not installed";
    std::string error;
    ASSERT_TRUE(backend_.start(dir_.file("xvnc.log"), 640, 480, error)) << error;
    const std::string node_example = read_file(example_path("vncgated-node.conf"));
    ASSERT_FALSE(node_example.empty());
    for (int i = 0; i < kNodes; ++i) {
      Node &n = nodes_[i];
      n.daemon = std::make_unique<VncgatedProcess>(*n.dir, sasl_, fake_);
      n.socket = n.dir->file("control.sock");
      const std::string port = std::to_string(n.daemon->gateway_port());
      apply_key_file(substitute(node_example,
                                {{"10.0.0.11:5901", "127.0.0.1:" + port},
                                 {"10.0.0.11:8081", "127.0.0.1:" + std::to_string(n.health_port)},
                                 {"proxy-protocol-from=10.0.0.5",
                                  "proxy-protocol-from=" + std::string(kHaproxySource)},
                                 {"/run/vncgate/control.sock", n.socket}}),
                     n.daemon->config());
      n.daemon->config().set("console:static1", "backend", backend_.address());
      if (redis_)
        n.daemon->config()
            .set("cluster", "redis", redis_->unix_url())
            .set("cluster", "node-name", server(i));
      ASSERT_TRUE(n.daemon->start(error)) << "node" << i + 1 << ": " << error;
    }
    Substitutions subs = {{"bind :5901", "bind 127.0.0.1:" + std::to_string(front_port_)},
                          {"/run/haproxy/admin.sock", dir_.file("haproxy.sock")},
                          {"inter 2s", "inter 100ms"},
                          {"source 10.0.0.5", "source " + std::string(kHaproxySource)}};
    for (int i = 0; i < kNodes; ++i) {
      const std::string ip = "10.0.0.1" + std::to_string(i + 1);
      subs.emplace_back(ip + ":5901 check port 8081",
                        "127.0.0.1:" + std::to_string(nodes_[i].daemon->gateway_port()) +
                            " check port " + std::to_string(nodes_[i].health_port));
    }
    const std::string cfg = substitute(read_file(example_path("haproxy.cfg")), subs);
    ASSERT_TRUE(haproxy_.start(cfg, error)) << error;
    for (int i = 0; i < kNodes; ++i)
      ASSERT_TRUE(haproxy_.wait_server_status("vncgate_nodes", server(i), "UP", 5s))
          << server(i) << ": " << haproxy_.server_status("vncgate_nodes", server(i));
  }

  void TearDown() override {
    if (!HasFailure()) return;
    for (int i = 0; i < kNodes; ++i)
      if (nodes_[i].daemon)
        std::cerr << "---- node" << i + 1 << " log ----\n" << nodes_[i].daemon->log();
    std::cerr << "---- haproxy log ----\n" << haproxy_.log() << "----\n";
  }

  static std::string server(int i) { return "node" + std::to_string(i + 1); }

  HttpReply node_api(int i, const std::string &method, const std::string &path,
                     std::optional<std::string> body = std::nullopt) {
    HttpRequest r;
    r.method = method;
    r.url = "http://localhost" + path;
    r.body = std::move(body);
    r.curl_args = {"--unix-socket", nodes_[i].socket};
    return curl(dir_, r);
  }

  // The sessions each node holds (as it lists them itself: with
  // [cluster] the list has every node's, each with its node).
  std::vector<size_t> sessions() {
    std::vector<size_t> out;
    for (int i = 0; i < kNodes; ++i) {
      Json list = Json::parse(node_api(i, "GET", "/v1/sessions").body);
      size_t own = 0;
      for (size_t k = 0; k < list.size(); ++k)
        own += list.at(k).str("node").value_or(server(i)) == server(i);
      out.push_back(own);
    }
    return out;
  }

  // A gtk-vnc client through HAProxy (or to `port`) that got the whole
  // screen; `query` follows the console name ("?token=...").
  std::unique_ptr<GvncClient> open_client(const std::string &query = "", uint16_t port = 0) {
    GvncOptions o;
    o.port = port ? port : front_port_;
    o.console = "static1" + query;
    o.username = "alice";
    o.password = kAlicePassword;
    auto c = std::make_unique<GvncClient>(o);
    std::string error;
    EXPECT_TRUE(c->open(error)) << error;
    EXPECT_TRUE(c->wait_full_update(15s)) << c->describe();
    return c;
  }

  TempDir dir_;
  std::unique_ptr<RedisServer> redis_;  // set before SetUp: the nodes share it
  FakeMkvterm fake_;
  SaslUsers sasl_;
  XvncBackend backend_;
  Node nodes_[kNodes];
  uint16_t front_port_ = free_loopback_port();
  HaproxyProcess haproxy_;
};

TEST_F(HaproxyClusterTest, DrainedNodeKeepsItsSessionWhileNewClientsGoElsewhere) {
  std::vector<std::unique_ptr<GvncClient>> clients;
  for (int i = 0; i < kNodes; ++i) clients.push_back(open_client());
  ASSERT_FALSE(HasFailure());
  // leastconn: one client on each node.
  EXPECT_EQ(sessions(), (std::vector<size_t>{1, 1, 1}));

  // Drain node2: HAProxy's check reads 503 and marks it down.
  HttpReply d = node_api(1, "PUT", "/v1/drain");
  ASSERT_EQ(d.status, 200) << d.describe();
  const auto drained = Clock::now();
  ASSERT_TRUE(haproxy_.wait_server_status("vncgate_nodes", "node2", "DOWN", 5s))
      << haproxy_.server_status("vncgate_nodes", "node2");
  std::cout << "HAProxy marked the drained node down after " << elapsed_ms(drained) << " ms\n";

  // Every running session flows, the one on node2 included.
  for (auto &c : clients) EXPECT_TRUE(c->refresh(10s)) << c->describe();
  // New clients all reach the console, none on node2.
  for (int i = 0; i < 4; ++i) clients.push_back(open_client());
  ASSERT_FALSE(HasFailure());
  std::vector<size_t> now = sessions();
  EXPECT_EQ(now[1], 1u) << "a new client landed on the drained node";
  EXPECT_EQ(now[0] + now[2], 6u);
  EXPECT_EQ(nodes_[1].daemon->count_log(std::regex(".*gateway draining.*")), 0)
      << "HAProxy sent a client to the drained node after marking it down";
  EXPECT_TRUE(clients[0]->refresh(10s) && clients[1]->refresh(10s) && clients[2]->refresh(10s));

  // Undrained: up again, and the least loaded node gets the next client.
  ASSERT_EQ(node_api(1, "DELETE", "/v1/drain").status, 200);
  ASSERT_TRUE(haproxy_.wait_server_status("vncgate_nodes", "node2", "UP", 5s))
      << haproxy_.server_status("vncgate_nodes", "node2");
  clients.push_back(open_client());
  EXPECT_EQ(sessions()[1], 2u);
}

// send-proxy-v2 and proxy-protocol-from: a node sees each client's own
// address, and believes a PROXY header from HAProxy's address only.
TEST_F(HaproxyClusterTest, NodesSeeTheClientsOwnAddressThroughHaproxy) {
  {
    RfbSaslTestClient c(5000);
    c.set_source_address("127.0.0.77");
    ASSERT_TRUE(c.connect("127.0.0.1", front_port_)) << c.error();
    ASSERT_EQ(c.http_connect("/console/static1"), 200) << c.error();
    ASSERT_TRUE(c.exchange_version(8)) << c.error();
    ASSERT_TRUE(c.read_security_types()) << c.error();
  }
  // Its audit record, on whichever node HAProxy chose, names 127.0.0.77.
  const std::regex own(R"(.*audit: session=\d+ client=127\.0\.0\.77:\d+ console=static1 .*)");
  const std::regex balancer(R"(.*audit: session=\d+ client=127\.0\.0\.5:.*)");
  auto count = [&](const std::regex &re) {
    int n = 0;
    for (auto &node : nodes_) n += node.daemon->count_log(re);
    return n;
  };
  EXPECT_TRUE(wait_until([&] { return count(own) == 1; }, 5s));
  EXPECT_EQ(count(balancer), 0);

  // HAProxy's own address, straight to a node without a header: refused.
  RfbSaslTestClient spoof_source(5000);
  spoof_source.set_source_address(kHaproxySource);
  ASSERT_TRUE(spoof_source.connect("127.0.0.1", nodes_[0].daemon->gateway_port()))
      << spoof_source.error();
  EXPECT_EQ(spoof_source.http_connect("/console/static1"), -1);
  EXPECT_LOG(
      *nodes_[0].daemon,
      R"(.*refused connection from 127\.0\.0\.5:\d+ \(proxy-protocol-from\): no PROXY protocol header.*)",
      5s);

  // Another address sending a header that claims 127.0.0.99: not believed,
  // the header is just bytes where the CONNECT should be.
  Bytes header = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49,
                  0x54, 0x0A, 0x21, 0x11, 0x00, 0x0C, 127,  0,    0,    99,
                  127,  0,    0,    1,    0x9C, 0x40, 0x17, 0x0D};
  RawSocket s;
  std::string error, reply;
  ASSERT_TRUE(s.connect(nodes_[0].daemon->gateway_port(), error)) << error;
  ASSERT_TRUE(s.send(
      std::string(header.begin(), header.end()) + "CONNECT /console/static1 HTTP/1.1\r\n\r\n",
      error))
      << error;
  s.read_until_closed(reply, 5000);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 400")) << reply;
  EXPECT_EQ(nodes_[0].daemon->count_log(std::regex(R"(.*127\.0\.0\.99.*)")), 0)
      << nodes_[0].daemon->log();
}

// With [cluster] on a real redis-server: the nodes share link tokens
// (cluster's work) and a revocation ends the session on whichever node
// holds it.
class HaproxyRedisClusterTest : public HaproxyClusterTest {
 protected:
  void SetUp() override {
    if (!RedisServer::available()) GTEST_SKIP() << "redis-server is not installed";
    redis_ = std::make_unique<RedisServer>(dir_);
    std::string error;
    ASSERT_TRUE(redis_->start(error)) << error;
    HaproxyClusterTest::SetUp();
  }

  // POST /v1/consoles/static1/links on node `i`: {token_id, token}.
  std::pair<std::string, std::string> mint(int i) {
    HttpReply r = node_api(i, "POST", "/v1/consoles/static1/links", R"({"user":"alice","ttl":60})");
    EXPECT_EQ(r.status, 201) << r.describe();
    Json j = Json::parse(r.body);
    const std::string url = j.str("url").value_or("");
    return {j.str("token_id").value_or(""), url.substr(url.find("token=") + 6)};
  }

  // The HTTP status HAProxy's node answers a CONNECT with this query.
  int connect_status(const std::string &query) {
    RawSocket s;
    std::string error, reply;
    if (!s.connect(front_port_, error)) return -1;
    if (!s.send("CONNECT /console/static1" + query + " HTTP/1.1\r\nHost: localhost\r\n\r\n", error))
      return -1;
    s.read_until("\r\n\r\n", reply, 10000);
    return reply.starts_with("HTTP/1.") && reply.size() >= 12 ? std::atoi(reply.c_str() + 9) : 0;
  }
};

TEST_F(HaproxyRedisClusterTest, LinkMintedOnOneNodeWorksOnceThroughHaproxy) {
  // node1 drained: HAProxy sends the client elsewhere, node1 still mints.
  ASSERT_EQ(node_api(0, "PUT", "/v1/drain").status, 200);
  ASSERT_TRUE(haproxy_.wait_server_status("vncgate_nodes", "node1", "DOWN", 5s));
  auto [token_id, token] = mint(0);
  ASSERT_FALSE(token.empty());

  auto client = open_client("?token=" + token);
  ASSERT_FALSE(HasFailure());
  std::vector<size_t> now = sessions();
  EXPECT_EQ(now[0], 0u) << "the session should be on another node than the minting one";
  EXPECT_EQ(now[1] + now[2], 1u);
  // One-time: the second use, through HAProxy to whichever node, is refused.
  EXPECT_EQ(connect_status("?token=" + token), 404);
  EXPECT_TRUE(client->refresh(10s)) << client->describe();
}

TEST_F(HaproxyRedisClusterTest, RevokingOnOneNodeEndsTheSessionOnAnotherWithinASecond) {
  auto [token_id, token] = mint(0);
  ASSERT_FALSE(token_id.empty());
  // Straight to node2, minted on node1.
  auto client = open_client("?token=" + token, nodes_[1].daemon->gateway_port());
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(sessions()[1], 1u);

  HttpReply r = node_api(2, "DELETE", "/v1/tokens/" + token_id);
  const auto revoked = Clock::now();
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_TRUE(client->wait_disconnected(2s)) << client->describe();
  EXPECT_LT(elapsed_ms(revoked), 1000.0) << "the session on node2 outlived the revocation on node3";
  EXPECT_TRUE(wait_until([&] { return sessions()[1] == 0; }, 2s));
  auto audit = nodes_[1].daemon->wait_for_audit(2s);
  ASSERT_TRUE(audit);
  EXPECT_EQ((*audit)["end"], "token revoked") << to_string(*audit);
  EXPECT_EQ((*audit)["token"], token_id) << to_string(*audit);
}

TEST_F(HaproxyRedisClusterTest, EveryNodeListsEveryNodesSessionsAndEndsThemAnywhere) {
  std::vector<std::unique_ptr<GvncClient>> clients;
  for (int i = 0; i < kNodes; ++i) clients.push_back(open_client());
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(sessions(), (std::vector<size_t>{1, 1, 1}));

  // Every node lists the three sessions, each with its node.
  std::string node2_session;
  for (int i = 0; i < kNodes; ++i) {
    Json list;
    EXPECT_TRUE(wait_until(
        [&] {
          list = Json::parse(node_api(i, "GET", "/v1/sessions").body);
          return list.size() == 3;
        },
        3s))
        << server(i) << ": " << list.text();
    std::set<std::string> nodes;
    for (size_t k = 0; k < list.size(); ++k) {
      nodes.insert(list.at(k).str("node").value_or(""));
      EXPECT_EQ(list.at(k).str("user").value_or(""), "alice@VNCGATE.TEST") << list.text();
      EXPECT_EQ(list.at(k).str("console").value_or(""), "static1") << list.text();
      if (list.at(k).str("node") == "node2") node2_session = list.at(k).str("id").value_or("");
    }
    EXPECT_EQ(nodes, (std::set<std::string>{"node1", "node2", "node3"})) << list.text();
  }
  ASSERT_FALSE(node2_session.empty());

  // node3 ends node2's session.
  EXPECT_EQ(node_api(2, "DELETE", "/v1/sessions/999999?node=node2").status, 404);
  CommandResult table =
      run_command({vncgatectl_path(), "--socket", nodes_[2].socket, "sessions"}, "", 20s);
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_TRUE(table.output.starts_with("ID ")) << table.output;
  EXPECT_NE(table.output.find("NODE"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("node2\n"), std::string::npos) << table.output;
  CommandResult kill = run_command(
      {vncgatectl_path(), "--socket", nodes_[2].socket, "kill", node2_session, "--node", "node2"},
      "", 20s);
  const auto asked = Clock::now();
  ASSERT_EQ(kill.exit_code, 0) << kill.output;
  EXPECT_EQ(kill.output, "session ended\n");
  EXPECT_TRUE(wait_until([&] { return sessions()[1] == 0; }, 2s));
  EXPECT_LT(elapsed_ms(asked), 1000.0);
  auto audit = nodes_[1].daemon->wait_for_audit(2s);
  ASSERT_TRUE(audit);
  EXPECT_EQ((*audit)["end"], "ended by operator on another node") << to_string(*audit);
  EXPECT_EQ(sessions(), (std::vector<size_t>{1, 0, 1}));
}

// Consoles added through the API on one node reach the others through
// Redis; the configuration file's stay each node's own.
TEST_F(HaproxyRedisClusterTest, RuntimeConsolesAreShared) {
  const std::string body = R"({"backend": ")" + backend_.address() + R"("})";
  HttpReply r = node_api(0, "PUT", "/v1/consoles/rt1", body);
  ASSERT_EQ(r.status, 201) << r.describe();
  auto listed = [&](int i, const std::string &name) {
    Json list = Json::parse(node_api(i, "GET", "/v1/consoles").body);
    for (size_t k = 0; k < list.size(); ++k)
      if (list.at(k).str("name") == name) return true;
    return false;
  };
  for (int i = 1; i < kNodes; ++i)
    EXPECT_TRUE(wait_until([&] { return listed(i, "rt1"); }, 3s)) << server(i);
  // Opened through node3, which did not add it.
  GvncOptions o;
  o.port = nodes_[2].daemon->gateway_port();
  o.console = "rt1";
  o.username = "alice";
  o.password = kAlicePassword;
  GvncClient client(o);
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  EXPECT_TRUE(client.wait_full_update(15s)) << client.describe();
  // A file's console is not the API's to change, on any node.
  EXPECT_EQ(node_api(1, "PUT", "/v1/consoles/static1", body).status, 409);

  // Removed on node2: gone everywhere.
  EXPECT_EQ(node_api(1, "DELETE", "/v1/consoles/rt1").status, 204);
  for (int i = 0; i < kNodes; ++i)
    EXPECT_TRUE(wait_until([&] { return !listed(i, "rt1"); }, 3s)) << server(i);
  EXPECT_TRUE(listed(0, "static1") && listed(2, "static1"));
}

}  // namespace
}  // namespace vncgate::it
