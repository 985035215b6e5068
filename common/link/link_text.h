// Small text helpers for the link parser, with GLib's exact semantics (the
// parser used GLib until it had to build for Windows without it): ASCII
// classes as g_ascii_*, UTF-8 validation as g_utf8_validate with a length,
// replacement as g_utf8_make_valid. Pure standard C++, no locale.
#pragma once

#include <string>
#include <string_view>

// Marks a message for xgettext without translating it here: the link
// parser has no gettext of its own (it also builds for Windows without
// GLib); the launcher and viewer translate these texts where they show them.
#ifndef N_
#define N_(text) text
#endif

namespace vncgate::linktext {

inline bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
inline bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
inline bool is_alnum(char c) {
  return is_alpha(c) || is_digit(c);
}
inline bool is_xdigit(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
// g_ascii_isspace: space, \t, \n, \f, \r (not \v).
inline bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}
inline bool is_cntrl(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}
inline char to_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
inline char to_upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

std::string ascii_lower(std::string_view s);

// Length of the longest valid UTF-8 prefix of s (NUL counts as invalid, as
// in g_utf8_validate with an explicit length; surrogates, overlong forms and
// code points above U+10FFFF are invalid).
size_t utf8_valid_prefix(std::string_view s);
inline bool utf8_valid(std::string_view s) {
  return utf8_valid_prefix(s) == s.size();
}
// Every invalid byte replaced by U+FFFD, as g_utf8_make_valid.
std::string utf8_make_valid(std::string_view s);

// g_strstrip: ASCII white space removed at both ends.
std::string strip(std::string_view s);

}  // namespace vncgate::linktext
