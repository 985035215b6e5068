// Three vncgated nodes sharing one real redis-server ([cluster]): a link
// minted on node A opens a gtk-vnc session through node B once and is
// refused on C; 50 clients racing one one-time link over the three nodes
// get exactly one 200; a revocation on C holds on B; with Redis stopped a
// running relay keeps flowing, a token login is refused with a reason, a
// login without a token works, and all is well again once Redis returns.
// Redis holds the token's SHA-256, never the secret. Failed logins are
// counted by every node: a guesser rotating between them is locked out on
// all of them after the threshold.
#include <memory>
#include <regex>

#include "control_test.h"
#include "raw_socket.h"
#include "redis_server.h"
#include "wait.h"

namespace vncgate::it {
namespace {

// A second or third node: its own directory, config, control socket.
struct Node {
  Node(const SaslUsers &sasl, const FakeMkvterm &fake) : daemon(dir, sasl, fake) {}
  TempDir dir;
  VncgatedProcess daemon;
  std::string socket;
};

class ClusterTest : public ControlTest {
 protected:
  void SetUp() override {
    if (!RedisServer::available()) GTEST_SKIP() << "redis-server/redis-cli not installed";
    redis_ = std::make_unique<RedisServer>(dir_);
    std::string error;
    ASSERT_TRUE(redis_->start(error)) << error;
    backend_ = &add_static_console("static1");
    join(daemon_.config(), "node-a");
    // The race test opens 17 handshakes per node from 127.0.0.1.
    daemon_.config().set("gateway", "max-handshakes-per-source", "64");
    for (const char *name : {"node-b", "node-c"}) {
      auto n = std::make_unique<Node>(sasl_, fake_);
      n->socket = n->dir.file("control.sock");
      n->daemon.config()
          .set("gateway", "state-dir", n->dir.file("state"))
          .set("gateway", "public-host", kPublicHost)
          .set("control", "socket", n->socket)
          .set("gateway", "max-handshakes-per-source", "64")
          .set("console:static1", "backend", daemon_.config().get("console:static1", "backend"));
      join(n->daemon.config(), name);
      nodes_.push_back(std::move(n));
    }
    ASSERT_NO_FATAL_FAILURE(start_daemon());
    for (auto &n : nodes_) ASSERT_TRUE(n->daemon.start(error)) << error;
    // Every node connected to Redis before the test goes on.
    for (VncgatedProcess *d : {&daemon_, &b().daemon, &c().daemon})
      ASSERT_TRUE(d->wait_for_log(std::regex(".*cluster: Redis .* \\(main\\) is connected$"), 10s))
          << d->log();
  }

  void join(DaemonConfig &config, const std::string &name) {
    config.set("cluster", "redis", redis_->unix_url()).set("cluster", "node-name", name);
    if (!tokenless_without_redis_) config.set("cluster", "tokenless-logins-without-redis", "false");
    if (guess_threshold_)
      config.set("gateway", "guess-threshold", std::to_string(guess_threshold_))
          .set("gateway", "guess-window", "60");
  }

  // A failed gtk-vnc login as alice through `port`.
  void fail_login(uint16_t port) {
    GvncOptions o = via_gateway("static1", "alice", "not alice's password");
    o.port = port;
    GvncClient client(o);
    std::string error;
    ASSERT_TRUE(client.open(error)) << error;
    ASSERT_TRUE(client.wait_settled(15s)) << client.describe();
    EXPECT_TRUE(client.auth_failed()) << client.describe();
  }

  Node &b() { return *nodes_[0]; }
  Node &c() { return *nodes_[1]; }

  // The control API of another node.
  Link mint_on(Node &n, const std::string &user = "", int ttl = 300, bool one_time = true) {
    std::swap(socket_, n.socket);
    Link link = mint("static1", user, ttl, one_time);
    std::swap(socket_, n.socket);
    return link;
  }
  HttpReply api_on(Node &n, const std::string &method, const std::string &path) {
    std::swap(socket_, n.socket);
    HttpReply r = api(method, path);
    std::swap(socket_, n.socket);
    return r;
  }

  // The CONNECT reply of `port` (status line and body), for a path or a link.
  static std::string connect_reply(uint16_t port, const std::string &console_and_query) {
    RawSocket s;
    std::string error, reply;
    if (!s.connect(port, error)) return "connect failed: " + error;
    s.send("CONNECT /console/" + console_and_query + " HTTP/1.1\r\nHost: x\r\n\r\n", error);
    s.read_until("\r\n\r\n", reply, 10000);
    // A refusal closes the connection after its (short) body.
    if (!reply.starts_with("HTTP/1.1 200")) s.read_until_closed(reply, 5000);
    return reply;
  }
  static std::string connect_reply(uint16_t port, const Link &link) {
    return connect_reply(port, "static1?token=" + link.token);
  }

  unsigned guess_threshold_ = 0;  // [gateway] guess-threshold on every node; 0 = off
  bool tokenless_without_redis_ = true;
  std::unique_ptr<RedisServer> redis_;
  XvncBackend *backend_ = nullptr;
  std::vector<std::unique_ptr<Node>> nodes_;
};

TEST_F(ClusterTest, LinkMintedOnAOpensOnBOnceAndIsRefusedOnC) {
  Link link = mint("static1", "alice", 60);
  ASSERT_EQ(link.status, 201) << link.body;

  GvncOptions o = via_link(link);
  o.port = b().daemon.gateway_port();
  GvncClient client(o);
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(client.wait_initialized(15s)) << client.describe() << b().daemon.log();
  EXPECT_EQ(client.desktop_name(), backend_->desktop_name());
  Json sessions = Json::parse(api_on(b(), "GET", "/v1/sessions").body);
  ASSERT_EQ(sessions.size(), 1u) << sessions.text();
  EXPECT_EQ(sessions.at(0).str("token_id").value_or(""), link.token_id);

  std::string reply = connect_reply(c().daemon.gateway_port(), link);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 404")) << reply;
  EXPECT_TRUE(c().daemon.wait_for_log(
      std::regex(".*unusable token for console static1: token already used \\(token " +
                 link.token_id + "\\)$"),
      5s))
      << c().daemon.log();

  // Redis has the hash, no node's state directory has the token, no log the secret.
  std::string keys = redis_->cli({"--scan", "--pattern", "vncgate:*"});
  EXPECT_NE(keys.find("vncgate:token:" + link.token_id), std::string::npos) << keys;
  EXPECT_EQ(keys.find(link.token), std::string::npos) << keys;
  EXPECT_EQ(redis_->cli({"HGET", "vncgate:token:" + link.token_id, "used"}), "1");
  EXPECT_EQ(redis_->cli({"DUMP", "vncgate:token:" + link.token_id}).find(link.token),
            std::string::npos);
  for (VncgatedProcess *d : {&daemon_, &b().daemon, &c().daemon})
    EXPECT_EQ(d->log().find(link.token), std::string::npos) << "the secret was logged";
}

TEST_F(ClusterTest, FiftyClientsRacingOneLinkOverThreeNodesAdmitExactlyOne) {
  Link link = mint_on(c(), "", 60);
  ASSERT_EQ(link.status, 201) << link.body;
  const uint16_t ports[] = {daemon_.gateway_port(), b().daemon.gateway_port(),
                            c().daemon.gateway_port()};
  std::vector<std::unique_ptr<RawSocket>> clients;
  std::string error;
  for (int i = 0; i < 50; ++i) {
    clients.push_back(std::make_unique<RawSocket>());
    ASSERT_TRUE(clients.back()->connect(ports[i % 3], error)) << error;
  }
  // Every CONNECT is on its way before any answer is read.
  for (auto &s : clients)
    ASSERT_TRUE(s->send(
        "CONNECT /console/static1?token=" + link.token + " HTTP/1.1\r\nHost: x\r\n\r\n", error))
        << error;
  int admitted = 0, refused = 0;
  for (auto &s : clients) {
    std::string reply;
    s->read_until("\r\n\r\n", reply, 10000);
    if (reply.starts_with("HTTP/1.1 200")) admitted++;
    if (reply.starts_with("HTTP/1.1 404")) refused++;
  }
  EXPECT_EQ(admitted, 1);
  EXPECT_EQ(refused, 49);
}

TEST_F(ClusterTest, RevokedOnCIsRefusedOnB) {
  Link link = mint("static1", "alice", 60, false);
  ASSERT_EQ(link.status, 201) << link.body;
  HttpReply r = api_on(c(), "DELETE", "/v1/tokens/" + link.token_id);
  EXPECT_EQ(r.status, 200) << r.describe();
  std::string reply = connect_reply(b().daemon.gateway_port(), link);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 404")) << reply;
  EXPECT_TRUE(
      b().daemon.wait_for_log(std::regex(".*revoked token \\(token " + link.token_id + "\\)$"), 5s))
      << b().daemon.log();
  EXPECT_EQ(api_on(b(), "DELETE", "/v1/tokens/unknown-id").status, 404);
}

TEST_F(ClusterTest, RedisDownKeepsRelaysRefusesTokenLoginsAndRecovers) {
  Link running = mint("static1", "alice", 60);
  Link later = mint("static1", "alice", 60);
  ASSERT_EQ(later.status, 201) << later.body;
  GvncOptions o = via_link(running);
  o.port = b().daemon.gateway_port();
  GvncClient client(o);
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(client.wait_initialized(15s)) << client.describe();

  redis_->stop();
  ASSERT_TRUE(
      b().daemon.wait_for_log(std::regex(".*cluster: Redis .* \\(main\\) is unreachable.*"), 10s))
      << b().daemon.log();
  // The running relay keeps flowing.
  EXPECT_TRUE(client.refresh(10s)) << client.describe();
  // A token login is refused with a reason the client can read, and logged.
  std::string reply = connect_reply(b().daemon.gateway_port(), later);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 503")) << reply;
  EXPECT_NE(reply.find("link service is unavailable"), std::string::npos) << reply;
  EXPECT_TRUE(b().daemon.wait_for_log(std::regex(".*token store \\(Redis\\) is unreachable$"), 5s));
  // No link is minted that no node could check.
  Link none = mint("static1", "alice", 60);
  EXPECT_EQ(none.status, 503) << none.body;
  // A login without a token works.
  GvncOptions plain = via_gateway("static1");
  plain.port = b().daemon.gateway_port();
  GvncClient tokenless(plain);
  ASSERT_TRUE(tokenless.open(error)) << error;
  EXPECT_TRUE(tokenless.wait_initialized(15s)) << tokenless.describe();
  std::swap(socket_, b().socket);
  PromText m = metrics();
  std::swap(socket_, b().socket);
  EXPECT_EQ(m.value("vncgate_cluster_redis_up"), std::optional<double>(0));
  EXPECT_GE(m.value("vncgate_cluster_redis_failed_commands_total").value_or(0), 1);

  // Redis back (empty: no persistence): every node reconnects within its
  // backoff (at most 5 s) and links work again.
  ASSERT_TRUE(redis_->start(error)) << error;
  for (VncgatedProcess *d : {&daemon_, &b().daemon, &c().daemon})
    EXPECT_TRUE(d->wait_for_log(std::regex(".*\\(main\\) is reachable again$"), 10s)) << d->log();
  Link fresh = mint("static1", "alice", 60);
  ASSERT_EQ(fresh.status, 201) << fresh.body;
  GvncOptions again = via_link(fresh);
  again.port = c().daemon.gateway_port();
  GvncClient after(again);
  ASSERT_TRUE(after.open(error)) << error;
  EXPECT_TRUE(after.wait_initialized(15s)) << after.describe();
  EXPECT_TRUE(client.refresh(10s)) << "the first session survived the outage";
}

TEST_F(ClusterTest, AHungRedisIsDroppedAndLoginsFailClosedInBoundedTime) {
  Link link = mint("static1", "alice", 60);
  ASSERT_EQ(link.status, 201) << link.body;
  redis_->freeze();
  // Accepted, then never answered: the token check fails within the reply
  // timeout (3 s) plus a watchdog tick, not at the handshake timeout.
  auto start = Clock::now();
  std::string reply = connect_reply(b().daemon.gateway_port(), link);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 503")) << reply;
  EXPECT_LT(elapsed_ms(start), 6000);
  EXPECT_TRUE(b().daemon.wait_for_log(std::regex(".*\\(main\\): no reply within 3 s.*"), 5s))
      << b().daemon.log();
  // A caller that gives up before the answer: answering its paused
  // request later harms nothing.
  HttpRequest gone;
  gone.method = "POST";
  gone.url = "http://localhost/v1/consoles/static1/links";
  gone.body = "{\"ttl\": 60}";
  gone.curl_args = {"--unix-socket", socket_, "--max-time", "1"};
  EXPECT_EQ(curl(dir_, gone).status, 0);
  Link none = mint("static1", "alice", 60);
  EXPECT_EQ(none.status, 503) << none.body;
  redis_->thaw();
  // A and B dropped their connection (each had a command waiting); C had none.
  for (VncgatedProcess *d : {&daemon_, &b().daemon})
    ASSERT_TRUE(d->wait_for_log(std::regex(".*\\(main\\) is reachable again$"), 10s)) << d->log();
  // The thawed Redis ran the check it had queued: that link stays reserved
  // until its lease (handshake-timeout + 5 s) runs out. A new one works.
  Link fresh = mint("static1", "alice", 60);
  ASSERT_EQ(fresh.status, 201) << fresh.body;
  GvncOptions o = via_link(fresh);
  o.port = b().daemon.gateway_port();
  GvncClient client(o);
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  EXPECT_TRUE(client.wait_initialized(15s)) << client.describe();
  EXPECT_TRUE(daemon_.running());
  EXPECT_EQ(daemon_.log().find("assertion"), std::string::npos) << daemon_.log();
}

class ClusterStrictTest : public ClusterTest {
 protected:
  ClusterStrictTest() { tokenless_without_redis_ = false; }
  // The CONNECT reply for the console without a token.
  std::string tokenless_reply(uint16_t port) { return connect_reply(port, "static1"); }
};

TEST_F(ClusterStrictTest, NoLoginsWithoutTokenWhileRedisIsDownWhenSoConfigured) {
  std::string reply = tokenless_reply(b().daemon.gateway_port());
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 200")) << reply;
  redis_->stop();
  ASSERT_TRUE(b().daemon.wait_for_log(std::regex(".*\\(main\\) is unreachable.*"), 10s));
  reply = tokenless_reply(b().daemon.gateway_port());
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 503")) << reply;
  EXPECT_NE(reply.find("link service is unavailable"), std::string::npos) << reply;
  EXPECT_TRUE(b().daemon.wait_for_log(
      std::regex(".*without a token: refused while the cluster's Redis is unreachable.*"), 5s))
      << b().daemon.log();
  std::string error;
  ASSERT_TRUE(redis_->start(error)) << error;
  ASSERT_TRUE(b().daemon.wait_for_log(std::regex(".*\\(main\\) is reachable again$"), 10s));
  reply = tokenless_reply(b().daemon.gateway_port());
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 200")) << reply;
}

class ClusterLockoutTest : public ClusterTest {
 protected:
  ClusterLockoutTest() { guess_threshold_ = 3; }
};

TEST_F(ClusterLockoutTest, GuesserRotatingBetweenNodesIsLockedOutOnAll) {
  ASSERT_NO_FATAL_FAILURE(fail_login(daemon_.gateway_port()));
  ASSERT_NO_FATAL_FAILURE(fail_login(b().daemon.gateway_port()));
  ASSERT_NO_FATAL_FAILURE(fail_login(c().daemon.gateway_port()));
  // Each node saw one failure itself and two from the others: the third
  // locks 127.0.0.1 out everywhere.
  for (VncgatedProcess *d : {&daemon_, &b().daemon, &c().daemon})
    EXPECT_TRUE(
        d->wait_for_log(std::regex(".*login limits: refusing 127\\.0\\.0\\.1 until .*"), 5s))
        << d->log();
  Json lockouts = Json::parse(api_on(b(), "GET", "/v1/lockouts").body);
  ASSERT_TRUE(lockouts.ok()) << lockouts.error();
  EXPECT_NE(lockouts.text().find("127.0.0.1"), std::string::npos) << lockouts.text();

  // Alice's right password through any node is now refused.
  GvncOptions o = via_gateway("static1");
  o.port = c().daemon.gateway_port();
  GvncClient alice(o);
  std::string error;
  ASSERT_TRUE(alice.open(error)) << error;
  ASSERT_TRUE(alice.wait_settled(15s)) << alice.describe();
  EXPECT_FALSE(alice.initialized()) << alice.describe();
  EXPECT_TRUE(
      c().daemon.wait_for_log(std::regex(".*the address is refused after failed logins.*"), 5s))
      << c().daemon.log();
}

}  // namespace
}  // namespace vncgate::it
