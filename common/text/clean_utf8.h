// Text that came from clients or backends (user names, console names,
// certificate subjects, program output) made safe to put into JSON, log and
// audit output: always valid UTF-8, and no character that some readers take
// for a line break. Pure: no I/O, no GLib.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace vncgate {

// Length of the well-formed UTF-8 sequence that starts `s` (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF) with its code point
// in `cp`; 0 when `s` is empty or does not start with one.
size_t utf8_sequence_length(std::string_view s, uint32_t &cp);

enum class CleanUtf8 {
  // Plain text: a byte outside a well-formed sequence becomes the four
  // characters `\xNN`, U+2028 and U+2029 become `\u2028` and `\u2029`.
  Text,
  // A JSON document whose strings may carry such bytes (json-glib copies
  // them through): a stray byte becomes `\\xNN` (a JSON string then holds
  // the text `\xNN`), U+2028/U+2029 the JSON escapes `\u2028`/`\u2029`
  // (the same characters for a JSON reader, but no line break for a
  // JavaScript one). Outside strings JSON has only ASCII, so this is exact.
  JsonDocument,
};

std::string clean_utf8(std::string_view text, CleanUtf8 style = CleanUtf8::Text);

// True when `text` is valid UTF-8 without U+2028/U+2029 (clean_utf8 would
// return it unchanged).
bool is_clean_utf8(std::string_view text);

}  // namespace vncgate
