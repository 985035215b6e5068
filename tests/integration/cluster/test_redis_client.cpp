// cluster/redis_client.h against a real redis-server: replies on the main
// loop (never inside command()), AUTH from a password file and SELECT,
// pending callbacks dropped when the client is destroyed first, a command
// while Redis is down failing from the loop, reconnection after a restart
// with the state callback and the metrics, and a subscriber that
// subscribes again after the restart.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/redis_client.h"
#include "control/metrics.h"
#include "main_loop_wait.h"
#include "redis_server.h"
#include "temp_dir.h"

namespace vncgate::it {
namespace {

using vncgate::test::iterate_until;
using namespace std::chrono_literals;

constexpr const char *kPassword = "redis-Secret-9";

class RedisClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!RedisServer::available()) GTEST_SKIP() << "redis-server/redis-cli not installed";
    redis_ = std::make_unique<RedisServer>(dir_, "redis", kPassword);
    std::string error;
    ASSERT_TRUE(redis_->start(error)) << error;
    password_file_ = dir_.write("redis-password", std::string(kPassword) + "\n");
  }

  std::unique_ptr<RedisClient> client(const std::string &password_file, unsigned db = 0,
                                      bool metric = false) {
    std::string error;
    auto address = parse_redis_address(redis_->unix_url() + "?db=" + std::to_string(db), error);
    EXPECT_TRUE(address) << error;
    auto c = std::make_unique<RedisClient>(*address, password_file, "test", metric);
    c->start();
    return c;
  }

  // Runs one command to its answer; nullopt when it failed.
  std::optional<RedisValue> run(RedisClient &c, std::vector<std::string> argv) {
    bool answered = false;
    std::optional<RedisValue> out;
    c.command(std::move(argv), [&](const RedisValue *v) {
      answered = true;
      if (v) out = *v;
    });
    EXPECT_TRUE(iterate_until([&] { return answered; }, 5s));
    return out;
  }

  TempDir dir_;
  std::unique_ptr<RedisServer> redis_;
  std::string password_file_;
};

TEST_F(RedisClientTest, AuthenticatesSelectsAndAnswersOnTheLoop) {
  auto c = client(password_file_, 3);
  ASSERT_TRUE(iterate_until([&] { return c->up(); }, 5s));
  bool answered = false;
  c->command({"SET", "k", "v"}, [&](const RedisValue *) { answered = true; });
  EXPECT_FALSE(answered) << "answered inside command()";
  ASSERT_TRUE(iterate_until([&] { return answered; }, 5s));
  auto got = run(*c, {"GET", "k"});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->str, "v");
  // In database 3, not 0.
  EXPECT_EQ(redis_->cli({"-n", "3", "GET", "k"}), "v");
  EXPECT_EQ(redis_->cli({"-n", "0", "EXISTS", "k"}), "0");
}

TEST_F(RedisClientTest, WrongPasswordNeverComesUp) {
  std::string wrong = dir_.write("wrong", "not-the-password\n");
  auto c = client(wrong);
  auto got = run(*c, {"PING"});
  EXPECT_FALSE(got && got->str == "PONG");
  EXPECT_FALSE(c->up());
}

TEST_F(RedisClientTest, DestroyedClientDropsPendingCallbacks) {
  auto c = client(password_file_);
  ASSERT_TRUE(iterate_until([&] { return c->up(); }, 5s));
  auto called = std::make_shared<int>(0);
  for (int i = 0; i < 100; ++i)
    c->command({"INCR", "n"}, [called](const RedisValue *) { ++*called; });
  c.reset();
  // Whatever was still on its way is never delivered.
  auto other = client(password_file_);
  ASSERT_TRUE(iterate_until([&] { return other->up(); }, 5s));
  EXPECT_TRUE(run(*other, {"PING"}));
  EXPECT_EQ(*called, 0);
}

TEST_F(RedisClientTest, DownFailsFromTheLoopThenReconnects) {
  auto c = client(password_file_, 0, true);
  std::vector<bool> changes;
  c->on_state_change([&](bool up) { changes.push_back(up); });
  ASSERT_TRUE(iterate_until([&] { return c->up(); }, 5s));
  EXPECT_EQ(metrics().cluster_redis_up, 1);

  redis_->stop();
  ASSERT_TRUE(iterate_until([&] { return !c->up(); }, 5s));
  EXPECT_EQ(metrics().cluster_redis_up, 0);
  uint64_t failed_before = metrics().cluster_redis_failed_commands;
  bool answered = false, got_null = false;
  c->command({"PING"}, [&](const RedisValue *v) {
    answered = true;
    got_null = v == nullptr;
  });
  EXPECT_FALSE(answered) << "answered inside command()";
  ASSERT_TRUE(iterate_until([&] { return answered; }, 5s));
  EXPECT_TRUE(got_null);
  EXPECT_GT(metrics().cluster_redis_failed_commands, failed_before);

  std::string error;
  ASSERT_TRUE(redis_->start(error)) << error;
  // Backoff is at most 5 s.
  ASSERT_TRUE(iterate_until([&] { return c->up(); }, 10s));
  EXPECT_EQ(metrics().cluster_redis_up, 1);
  auto pong = run(*c, {"PING"});
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->str, "PONG");
  EXPECT_EQ(changes, (std::vector<bool>{true, false, true}));
}

TEST_F(RedisClientTest, SubscriberGetsMessagesAgainAfterARestart) {
  auto pub = client(password_file_);
  auto sub = client(password_file_);
  std::vector<std::string> got;
  sub->subscribe("chan", [&](const std::string &m) { got.push_back(m); });
  ASSERT_TRUE(iterate_until([&] { return pub->up() && sub->up(); }, 5s));
  // PUBLISH answers how many subscribers heard it: wait for ours to count.
  ASSERT_TRUE(iterate_until(
      [&] {
        auto n = run(*pub, {"PUBLISH", "chan", "one"});
        return n && n->integer == 1;
      },
      5s));
  ASSERT_TRUE(iterate_until([&] { return !got.empty(); }, 5s));
  EXPECT_EQ(got.front(), "one");

  redis_->stop();
  ASSERT_TRUE(iterate_until([&] { return !pub->up() && !sub->up(); }, 5s));
  std::string error;
  ASSERT_TRUE(redis_->start(error)) << error;
  ASSERT_TRUE(iterate_until([&] { return pub->up() && sub->up(); }, 10s));
  got.clear();
  ASSERT_TRUE(iterate_until(
      [&] {
        auto n = run(*pub, {"PUBLISH", "chan", "two"});
        return n && n->integer == 1;
      },
      5s));
  ASSERT_TRUE(iterate_until([&] { return !got.empty(); }, 5s));
  EXPECT_EQ(got.back(), "two");
}

}  // namespace
}  // namespace vncgate::it
