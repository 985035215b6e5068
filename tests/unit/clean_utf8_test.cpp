#include "text/clean_utf8.h"

#include <gtest/gtest.h>

namespace vncgate {
namespace {

TEST(CleanUtf8, KeepsValidText) {
  EXPECT_EQ(clean_utf8("alice"), "alice");
  EXPECT_EQ(clean_utf8("J\xc3\xbcrgen \xe2\x82\xac \xf0\x9f\x98\x80"),
            "J\xc3\xbcrgen \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(clean_utf8(std::string_view("a\0b", 3)), std::string("a\0b", 3));  // not its job
  EXPECT_TRUE(is_clean_utf8("J\xc3\xbcrgen"));
}

TEST(CleanUtf8, StrayBytesBecomeHexEscapes) {
  EXPECT_EQ(clean_utf8("a\xff"
                       "b"),
            "a\\xffb");
  EXPECT_EQ(clean_utf8("\x80"), "\\x80");  // lone continuation byte
  EXPECT_EQ(clean_utf8("\xc3"), "\\xc3");  // cut at the end
  EXPECT_EQ(clean_utf8("\xc3"
                       "a"),
            "\\xc3"
            "a");                                                     // cut in the middle
  EXPECT_EQ(clean_utf8("\xc0\xaf"), "\\xc0\\xaf");                    // overlong '/'
  EXPECT_EQ(clean_utf8("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");           // overlong, 3 bytes
  EXPECT_EQ(clean_utf8("\xed\xa0\x80"), "\\xed\\xa0\\x80");           // UTF-16 surrogate
  EXPECT_EQ(clean_utf8("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
  EXPECT_EQ(clean_utf8("\xf5"), "\\xf5");
  EXPECT_FALSE(is_clean_utf8("a\xff"));
}

TEST(CleanUtf8, LineAndParagraphSeparatorsAreEscaped) {
  EXPECT_EQ(clean_utf8("a\xe2\x80\xa8"
                       "b\xe2\x80\xa9"),
            "a\\u2028b\\u2029");
  EXPECT_FALSE(is_clean_utf8("\xe2\x80\xa8"));
  EXPECT_EQ(clean_utf8("\xe2\x80\xa7"), "\xe2\x80\xa7");  // U+2027 is an ordinary character
}

TEST(CleanUtf8, JsonDocumentKeepsTheDocumentValid) {
  // json-glib copies the bytes of a string through; the result must parse
  // and hold the text "\xff" (backslash, x, f, f).
  EXPECT_EQ(clean_utf8("{\"user\":\"a\xff\"}", CleanUtf8::JsonDocument), "{\"user\":\"a\\\\xff\"}");
  EXPECT_EQ(clean_utf8("[\"\xe2\x80\xa8\"]", CleanUtf8::JsonDocument), "[\"\\u2028\"]");
}

TEST(CleanUtf8, SequenceLength) {
  uint32_t cp = 0;
  EXPECT_EQ(utf8_sequence_length("", cp), 0u);
  EXPECT_EQ(utf8_sequence_length("\xc3\xbc", cp), 2u);
  EXPECT_EQ(cp, 0xfcu);
  EXPECT_EQ(utf8_sequence_length("\xf0\x9f\x98\x80", cp), 4u);
  EXPECT_EQ(cp, 0x1f600u);
  EXPECT_EQ(utf8_sequence_length("\xf0\x9f\x98", cp), 0u);
}

}  // namespace
}  // namespace vncgate
