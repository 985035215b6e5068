// log_safe: whatever a client or a backend sent, the log and the audit get
// one line of valid UTF-8 that shows what was there.
#include <glib.h>
#include <gtest/gtest.h>

#include <string>

#include "logging.h"

namespace vncgate {
namespace {

bool valid_utf8(const std::string &s) {
  return g_utf8_validate(s.data(), static_cast<gssize>(s.size()), nullptr);
}

TEST(LogSafe, PlainTextAndUtf8PassThrough) {
  EXPECT_EQ(log_safe("alice@EXAMPLE.COM"), "alice@EXAMPLE.COM");
  EXPECT_EQ(log_safe("J\xc3\xbcrgen \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x94\x91"),
            "J\xc3\xbcrgen \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x94\x91");
}

TEST(LogSafe, ControlCharactersQuotesAndBackslashAreEscaped) {
  EXPECT_EQ(log_safe("a\nb\rc\td\x7f"), "a\\x0ab\\x0dc\\x09d\\x7f");
  EXPECT_EQ(log_safe("say \"hi\" C:\\x"), "say \\x22hi\\x22 C:\\x5cx");
  EXPECT_EQ(log_safe(std::string("nul\0end", 7)), "nul\\x00end");
}

TEST(LogSafe, InvalidBytesBecomeHexEscapes) {
  EXPECT_EQ(log_safe("bad\xff\xfe"), "bad\\xff\\xfe");
  EXPECT_EQ(log_safe("\xc3"), "\\xc3");                             // truncated sequence
  EXPECT_EQ(log_safe("\xc3(x"), "\\xc3(x");                         // bad continuation
  EXPECT_EQ(log_safe("\xc0\xaf"), "\\xc0\\xaf");                    // overlong '/'
  EXPECT_EQ(log_safe("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");           // overlong, 3 bytes
  EXPECT_EQ(log_safe("\xed\xa0\x80"), "\\xed\\xa0\\x80");           // UTF-16 surrogate
  EXPECT_EQ(log_safe("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
  EXPECT_EQ(log_safe("\x80x"), "\\x80x");                           // lone continuation
}

TEST(LogSafe, LineSeparatorsAndC1ControlsAreEscaped) {
  EXPECT_EQ(log_safe("a\xe2\x80\xa8"
                     "b\xe2\x80\xa9"
                     "c"),
            "a\\u2028b\\u2029c");
  EXPECT_EQ(log_safe("x\xc2\x85y"), "x\\u0085y");  // NEL
  EXPECT_EQ(log_safe("\xc2\xa0"), "\xc2\xa0");     // NO-BREAK SPACE is printable
}

TEST(LogSafe, CapNeverSplitsACharacter) {
  EXPECT_EQ(log_safe("abcdef", 3), "abc...");
  EXPECT_EQ(log_safe("abc", 3), "abc");
  // "ab" + 3-byte character: a cap of 4 keeps "ab" only.
  EXPECT_EQ(log_safe("ab\xe6\x97\xa5", 4), "ab...");
  EXPECT_EQ(log_safe("ab\xe6\x97\xa5", 5), "ab\xe6\x97\xa5");
}

TEST(LogSafe, EveryByteStringGivesValidUtf8) {
  // All 1- and 2-byte strings, and 3-byte strings over an interesting subset.
  for (int a = 0; a < 256; ++a) {
    std::string one(1, static_cast<char>(a));
    ASSERT_TRUE(valid_utf8(log_safe(one))) << a;
    for (int b = 0; b < 256; ++b) {
      std::string two = one + static_cast<char>(b);
      std::string out = log_safe(two);
      ASSERT_TRUE(valid_utf8(out)) << a << "," << b;
      ASSERT_EQ(out.find('\n'), std::string::npos);
      for (int c : {0x00, 0x0a, 0x80, 0xa8, 0xa9, 0xbf, 0xc0, 0xe2, 0xff}) {
        ASSERT_TRUE(valid_utf8(log_safe(two + static_cast<char>(c)))) << a << "," << b << "," << c;
      }
    }
  }
}

}  // namespace
}  // namespace vncgate
