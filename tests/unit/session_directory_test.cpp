// The session directory's record ([cluster], cluster/session_directory.h):
// a session survives its trip through Redis as JSON, whatever its text
// holds, and what is not such a record is refused.
#include "cluster/session_directory.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace vncgate
