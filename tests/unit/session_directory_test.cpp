// What [cluster] keeps in Redis besides tokens: the session directory's
// record (cluster/session_directory.h) survives its trip as JSON, whatever
// its text holds; the shared consoles (cluster/shared_consoles.h) read
// back as they were put, and an entry that is not a console is left out.
#include "cluster/session_directory.h"

#include <gtest/gtest.h>

#include "cluster/shared_consoles.h"

namespace vncgate {
namespace {

TEST(SessionDirectoryRecord, RoundTripsEveryField) {
  SessionInfo s{};
  s.id = 42;
  s.client = "[2001:db8::7]:50123";
  s.console = "lpar7";
  s.user = "al\"ice\\@EXAMPLE.COM\n";  // quotes, backslash, control character
  s.mechanism = "SCRAM-SHA-256";
  s.state = "relaying";
  s.token_id = "AbC-12_x";
  s.started_at = 1764770000;
  s.bytes_to_client = 1ull << 40;
  s.bytes_from_client = 7;
  SessionInfo back{};
  ASSERT_TRUE(session_from_json(session_to_json(s), back));
  EXPECT_EQ(back.client, s.client);
  EXPECT_EQ(back.console, s.console);
  EXPECT_EQ(back.user, s.user);
  EXPECT_EQ(back.mechanism, s.mechanism);
  EXPECT_EQ(back.state, s.state);
  EXPECT_EQ(back.token_id, s.token_id);
  EXPECT_EQ(back.started_at, s.started_at);
  EXPECT_EQ(back.bytes_to_client, s.bytes_to_client);
  EXPECT_EQ(back.bytes_from_client, s.bytes_from_client);
  EXPECT_EQ(session_to_json(s).find('\n'), std::string::npos) << "one line per record";
}

TEST(SessionDirectoryRecord, RefusesWhatIsNotARecord) {
  SessionInfo out{};
  EXPECT_FALSE(session_from_json("", out));
  EXPECT_FALSE(session_from_json("[1,2]", out));
  EXPECT_FALSE(session_from_json("{\"client\":", out));
  EXPECT_FALSE(session_from_json("\"text\"", out));
  // Members of another type read as empty, not as garbage.
  ASSERT_TRUE(session_from_json(R"({"client": 5, "started_at": "x"})", out));
  EXPECT_EQ(out.client, "");
  EXPECT_EQ(out.started_at, 0);
}

RedisValue bulk(const std::string &s) {
  RedisValue v;
  v.type = RedisValue::Type::String;
  v.str = s;
  return v;
}

TEST(SharedConsolesReply, ReadsBackWhatWasPutAndSkipsTheRest) {
  ConsoleConfig lpar;
  lpar.name = "lpar7";
  lpar.lpar_id = 7;
  lpar.force = true;
  lpar.allowed_users = {"alice", "bob@EXAMPLE.COM"};
  ConsoleConfig fixed;
  fixed.name = "web1";
  fixed.backend = HostPort{"192.0.2.10", 5901};
  RedisValue reply;
  reply.type = RedisValue::Type::Array;
  for (const auto &[name, value] : std::vector<std::pair<std::string, std::string>>{
           {"lpar7", shared_console_json(lpar)},
           {"web1", shared_console_json(fixed)},
           {"junk", "{not json"},
           {"both", R"({"lpar_id":1,"backend":"h:1"})"},
           {"../bad", shared_console_json(fixed)}}) {
    reply.elements.push_back(bulk(name));
    reply.elements.push_back(bulk(value));
  }
  std::vector<std::string> bad;
  auto consoles = shared_consoles_from_reply(reply, bad);
  ASSERT_EQ(consoles.size(), 2u);
  EXPECT_TRUE(consoles.at("lpar7") == lpar);
  EXPECT_TRUE(consoles.at("web1") == fixed);
  EXPECT_EQ(bad, (std::vector<std::string>{"junk", "both", "../bad"}));
}

}  // namespace
}  // namespace vncgate
