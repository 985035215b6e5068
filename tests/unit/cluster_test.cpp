// [cluster]: the Redis address parser, the section's keys (TLS refused
// while hiredis cannot do it), the reconnect backoff, and the reading of
// the token script's reply (cluster/redis_token_store.h).
#include <glib.h>
#include <gtest/gtest.h>

#include "cluster/redis_address.h"
#include "cluster/redis_client.h"
#include "cluster/redis_token_store.h"
#include "config.h"
#include "login_limits.h"

namespace vncgate {
namespace {

std::optional<RedisAddress> parse(const std::string &text) {
  std::string error;
  auto a = parse_redis_address(text, error);
  EXPECT_EQ(a.has_value(), error.empty()) << text << ": " << error;
  return a;
}

std::string refusal(const std::string &text) {
  std::string error;
  EXPECT_FALSE(parse_redis_address(text, error).has_value()) << text;
  return error;
}

TEST(RedisAddress, TcpWithDefaults) {
  auto a = parse("redis://redis.example.test");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "redis.example.test");
  EXPECT_EQ(a->port, 6379);
  EXPECT_EQ(a->db, 0u);
  EXPECT_FALSE(a->is_unix());
  EXPECT_EQ(a->to_string(), "redis://redis.example.test:6379/0");
}

TEST(RedisAddress, TcpPortAndDb) {
  auto a = parse("redis://10.0.0.5:6380/3");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "10.0.0.5");
  EXPECT_EQ(a->port, 6380);
  EXPECT_EQ(a->db, 3u);
  auto b = parse("redis://127.0.0.1:7000/");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->db, 0u);
}

TEST(RedisAddress, Ipv6InBrackets) {
  auto a = parse("redis://[::1]:6390/2");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 6390);
  EXPECT_EQ(a->db, 2u);
  EXPECT_EQ(a->to_string(), "redis://[::1]:6390/2");
  EXPECT_TRUE(parse("redis://[2001:db8::7]"));
  EXPECT_NE(refusal("redis://[::1"), "");
  EXPECT_NE(refusal("redis://[not-an-address]:1"), "");
  EXPECT_NE(refusal("redis://[::1]x"), "");
}

TEST(RedisAddress, UnixSocket) {
  auto a = parse("unix:/run/redis/redis.sock");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_unix());
  EXPECT_EQ(a->unix_path, "/run/redis/redis.sock");
  EXPECT_EQ(a->db, 0u);
  auto b = parse("unix:/run/redis.sock?db=5");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->db, 5u);
  EXPECT_EQ(b->to_string(), "unix:/run/redis.sock?db=5");
  auto c = parse("unix:///run/redis.sock");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->unix_path, "/run/redis.sock");
}

TEST(RedisAddress, RefusesWhatItCannotHonour) {
  EXPECT_NE(refusal("redis://:secret@host:6379").find("password-file"), std::string::npos);
  EXPECT_NE(refusal("redis://user:secret@host").find("password-file"), std::string::npos);
  EXPECT_NE(refusal("rediss://host:6379").find("hiredis 1.0"), std::string::npos);
  EXPECT_NE(refusal("unix:relative.sock"), "");
  EXPECT_NE(refusal("unix:/run/r.sock?password=x"), "");
  EXPECT_NE(refusal("unix:/run/r.sock?db=x"), "");
  EXPECT_NE(refusal("redis://host:0"), "");
  EXPECT_NE(refusal("redis://host:65536"), "");
  EXPECT_NE(refusal("redis://host:"), "");
  EXPECT_NE(refusal("redis://host/db"), "");
  EXPECT_NE(refusal("redis://host/99999999"), "");
  EXPECT_NE(refusal("redis://"), "");
  EXPECT_NE(refusal("redis://ho st"), "");
  EXPECT_NE(refusal("host:6379"), "");
  EXPECT_NE(refusal(""), "");
}

bool parse_text(const std::string &text, Config &c, std::string &error) {
  return parse_config("[gateway]\nlisten=127.0.0.1:5901\n" + text, "test.conf", c, error);
}

TEST(ClusterConfig, AbsentMeansNotClustered) {
  Config c;
  std::string error;
  ASSERT_TRUE(parse_text("", c, error)) << error;
  EXPECT_FALSE(c.cluster);
}

TEST(ClusterConfig, KeysAndDefaults) {
  Config c;
  std::string error;
  ASSERT_TRUE(parse_text("[cluster]\nredis=unix:/run/redis.sock?db=1\n", c, error)) << error;
  ASSERT_TRUE(c.cluster);
  EXPECT_EQ(c.cluster->redis.unix_path, "/run/redis.sock");
  EXPECT_EQ(c.cluster->node_name, g_get_host_name());
  EXPECT_TRUE(c.cluster->tokenless_logins_without_redis);
  EXPECT_EQ(c.cluster->password_file, "");
  ASSERT_TRUE(
      parse_text("[cluster]\nredis=redis://10.1.1.1\npassword-file=/etc/vncgate/redis.pw\n"
                 "node-name=gw-2\ntokenless-logins-without-redis=no\n",
                 c, error))
      << error;
  EXPECT_EQ(c.cluster->node_name, "gw-2");
  EXPECT_EQ(c.cluster->password_file, "/etc/vncgate/redis.pw");
  EXPECT_FALSE(c.cluster->tokenless_logins_without_redis);
}

TEST(ClusterConfig, Refusals) {
  Config c;
  std::string error;
  EXPECT_FALSE(parse_text("[cluster]\nnode-name=a\n", c, error));
  EXPECT_NE(error.find("[cluster] redis"), std::string::npos) << error;
  for (const char *key : {"tls-ca", "tls-cert", "tls-key"}) {
    EXPECT_FALSE(
        parse_text(std::string("[cluster]\nredis=redis://h\n") + key + "=/etc/x.pem\n", c, error));
    EXPECT_NE(error.find("hiredis 1.0"), std::string::npos) << error;
    EXPECT_NE(error.find(key), std::string::npos) << error;
  }
  EXPECT_FALSE(parse_text("[cluster]\nredis=redis://h\nnode-name=a b\n", c, error));
  EXPECT_NE(error.find("node-name"), std::string::npos) << error;
  EXPECT_FALSE(parse_text("[cluster]\nredis=redis://h\npassword-file=rel\n", c, error));
  EXPECT_FALSE(parse_text("[cluster]\nredis=redis://h\nbogus=1\n", c, error));
  EXPECT_NE(error.find("unknown key"), std::string::npos) << error;
  EXPECT_FALSE(parse_text("[cluster]\nredis=redis://:pw@h\n", c, error));
  EXPECT_NE(error.find("password-file"), std::string::npos) << error;
}

TEST(RedisClient, BackoffDoublesFrom100msTo5s) {
  EXPECT_EQ(RedisClient::backoff_ms(0), 100u);
  EXPECT_EQ(RedisClient::backoff_ms(1), 200u);
  EXPECT_EQ(RedisClient::backoff_ms(5), 3200u);
  EXPECT_EQ(RedisClient::backoff_ms(6), 5000u);
  EXPECT_EQ(RedisClient::backoff_ms(1000), 5000u);
}

RedisValue str(const std::string &s) {
  RedisValue v;
  v.type = RedisValue::Type::String;
  v.str = s;
  return v;
}

RedisValue use_reply(const std::string &check) {
  RedisValue v;
  v.type = RedisValue::Type::Array;
  for (const char *s : {"", "tok1", "static1", "alice", "1700000000", "1"})
    v.elements.push_back(str(s));
  v.elements[0].str = check;
  return v;
}

TEST(RedisTokenReply, EveryCheckAndTheRecord) {
  TokenRecord r;
  EXPECT_EQ(parse_token_use_reply(use_reply("ok"), r), TokenCheck::Ok);
  EXPECT_EQ(r.id, "tok1");
  EXPECT_EQ(r.console, "static1");
  EXPECT_EQ(r.user, "alice");
  EXPECT_EQ(r.expires_at, 1700000000);
  EXPECT_TRUE(r.one_time);
  EXPECT_EQ(parse_token_use_reply(use_reply("used"), r), TokenCheck::Used);
  EXPECT_EQ(parse_token_use_reply(use_reply("expired"), r), TokenCheck::Expired);
  EXPECT_EQ(parse_token_use_reply(use_reply("revoked"), r), TokenCheck::Revoked);
  EXPECT_EQ(parse_token_use_reply(use_reply("wrong-console"), r), TokenCheck::WrongConsole);
  RedisValue unknown;
  unknown.type = RedisValue::Type::Array;
  unknown.elements.push_back(str("unknown"));
  EXPECT_EQ(parse_token_use_reply(unknown, r), TokenCheck::Unknown);
}

TEST(RedisTokenReply, MalformedIsUnavailableNeverOk) {
  TokenRecord r;
  RedisValue nil;
  EXPECT_EQ(parse_token_use_reply(nil, r), TokenCheck::Unavailable);
  RedisValue short_ok;
  short_ok.type = RedisValue::Type::Array;
  short_ok.elements.push_back(str("ok"));
  EXPECT_EQ(parse_token_use_reply(short_ok, r), TokenCheck::Unavailable);
  EXPECT_EQ(parse_token_use_reply(use_reply("surprise"), r), TokenCheck::Unavailable);
}

TEST(RedisValue, IntegerFromIntegerOrText) {
  RedisValue i;
  i.type = RedisValue::Type::Integer;
  i.integer = 42;
  EXPECT_EQ(i.as_integer(), 42);
  EXPECT_EQ(str("17").as_integer(), 17);
  EXPECT_EQ(str("17x").as_integer(-1), -1);
  EXPECT_EQ(RedisValue().as_integer(-2), -2);
}

TEST(SharedFailure, RoundTripsAndKeepsTheAccountWhole) {
  SharedFailure f{"gw-1", "2001:db8:1:2::/64", "user:odd\nname"};
  auto back = parse_shared_failure(shared_failure_message(f));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->node, "gw-1");
  EXPECT_EQ(back->source, "2001:db8:1:2::/64");
  EXPECT_EQ(back->account, "user:odd\nname");
  auto none = parse_shared_failure("gw-2\n192.0.2.7\n");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->account, "");
  EXPECT_FALSE(parse_shared_failure("gw-2\n192.0.2.7"));
  EXPECT_FALSE(parse_shared_failure("\n192.0.2.7\n"));
  EXPECT_FALSE(parse_shared_failure(""));
}

TEST(SharedFailure, OtherNodesFailuresLockTheSourceHereButOwnEchoesDoNot) {
  LoginLimits limits;
  LoginThrottleSettings s;
  s.threshold = 3;
  limits.configure(s);
  int shared = 0;
  limits.share_with([&](const std::string &source, const std::string &account) {
    EXPECT_EQ(source, "192.0.2.7");
    EXPECT_EQ(account, "");
    shared++;
  });
  limits.failed(LoginService::Rfb, "192.0.2.7", "", "", false);
  EXPECT_EQ(shared, 1);
  // This node's own message, echoed by Redis, is not counted twice.
  limits.remote_failure("gw-1\n192.0.2.7\n", "gw-1");
  EXPECT_EQ(limits.source_wait("192.0.2.7"), 0u);
  limits.remote_failure("gw-2\n192.0.2.7\n", "gw-1");
  EXPECT_EQ(limits.source_wait("192.0.2.7"), 0u);
  limits.remote_failure("gw-3\n192.0.2.7\n", "gw-1");
  EXPECT_GT(limits.source_wait("192.0.2.7"), 0u);
  EXPECT_EQ(shared, 1) << "remote failures are not published again";
}

}  // namespace
}  // namespace vncgate
