// Reading virt-viewer .vv files: the key-file syntax as GLib's GKeyFile
// reads it (the parser used GKeyFile before it had to build without GLib;
// what it accepts, refuses and returns must stay the same):
//   - lines end at "\n" (one "\r" before it is dropped); leading white space
//     is skipped; "#..." and blank lines are comments;
//   - "[name]" (white space after "]" allowed) starts or continues a group;
//     names have no "[", "]" or control characters;
//   - "key=value": white space around "=" is dropped; keys have no "=", "[",
//     "]" except one "[locale]" suffix; the last of a repeated key wins;
//     keys before the first group are an error;
//   - "Encoding=" in the first group must say UTF-8;
//   - a NUL byte ends a line's text, as it does in GLib's C strings.
// Values: \s \n \t \r \\ are unescaped; another "\x" stays as it is, and a
// lone "\" at the end is dropped (GLib returns the value with a warning);
// a value that is not UTF-8 reads as missing.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "link/link_message.h"

namespace vncgate::linkkeyfile {

class KeyFile {
 public:
  // Parses `data`; on failure returns false and sets `error` (GLib's text).
  bool load(std::string_view data, LinkMessage &error);

  bool has_group(const std::string &group) const { return groups_.count(group) != 0; }
  // The unescaped value, as g_key_file_get_string; nullopt when missing or
  // not UTF-8.
  std::optional<std::string> get_string(const std::string &group, const std::string &key) const;

 private:
  bool parse_line(std::string line, LinkMessage &error);

  std::map<std::string, std::map<std::string, std::string>> groups_;
  std::string current_;  // group the next key goes to; empty before the first
  std::string start_;    // the first group
  bool in_group_ = false;
};

}  // namespace vncgate::linkkeyfile
