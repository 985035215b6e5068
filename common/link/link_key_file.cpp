#include "link/link_key_file.h"

#include <cstring>

#include "link/link_text.h"

namespace vncgate::linkkeyfile {
namespace {

using namespace vncgate::linktext;

// A group name: at least one character, none of "[", "]" or ASCII control.
bool is_group_name(const char *name) {
  const char *q = name;
  while (*q && *q != ']' && *q != '[' && !is_cntrl(*q)) ++q;
  return *q == '\0' && q != name;
}

// g_utf8_find_next_char: past this byte and any UTF-8 continuation bytes
// after it. GLib steps through key-file lines this way, so a stray
// continuation byte after an accepted character is skipped unchecked.
const char *next_char(const char *p) {
  for (++p; (static_cast<unsigned char>(*p) & 0xc0) == 0x80; ++p) {
  }
  return p;
}

// A locale suffix character: ASCII letters and digits, "-_.@", or any
// other valid UTF-8 character (GLib asks g_unichar_isalnum; this parser
// carries no Unicode tables, and localized keys are never read anyway).
bool is_locale_char(const char *q) {
  if (is_alnum(*q) || *q == '-' || *q == '_' || *q == '.' || *q == '@') return true;
  auto lead = static_cast<unsigned char>(*q);
  if (lead < 0x80) return false;
  size_t len = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
  std::string_view rest(q, std::strlen(q));
  return rest.size() >= len && utf8_valid_prefix(rest.substr(0, len)) == len;
}

bool is_key_name(const char *name) {
  const char *q = name;
  while (*q && *q != '=' && *q != '[' && *q != ']') q = next_char(q);
  if (q == name) return false;
  // Spaces inside a key are accepted, but not at either end.
  if (*name == ' ' || q[-1] == ' ') return false;
  if (*q == '[') {
    ++q;
    while (*q && is_locale_char(q)) q = next_char(q);
    if (*q != ']') return false;
    ++q;
  }
  return *q == '\0';
}

// "[" ... first "]" ... then only spaces and tabs (C-string view, stepping
// as GLib does: UTF-8 continuation bytes after a character are skipped).
bool line_is_group(const char *p) {
  if (*p != '[') return false;
  ++p;
  while (*p && *p != ']') p = next_char(p);
  if (*p != ']') return false;
  p = next_char(p);
  while (*p == ' ' || *p == '\t') p = next_char(p);
  return *p == '\0';
}

std::string unescape_value(const char *p) {
  std::string out;
  for (; *p; ++p) {
    if (*p != '\\') {
      out += *p;
      continue;
    }
    ++p;
    switch (*p) {
      case 's':
        out += ' ';
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case '\\':
        out += '\\';
        break;
      case '\0':
        return out;  // lone "\" at the end: dropped
      default:       // unknown escape: kept as written
        out += '\\';
        out += *p;
    }
  }
  return out;
}

}  // namespace

bool KeyFile::load(std::string_view data, LinkMessage &error) {
  groups_.clear();
  current_.clear();
  start_.clear();
  in_group_ = false;
  size_t i = 0;
  while (i < data.size()) {
    size_t nl = data.find('\n', i);
    bool last = nl == std::string_view::npos;
    std::string line(data.substr(i, last ? std::string_view::npos : nl - i));
    // Only a line that ends in "\n" loses its "\r".
    if (!last && !line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty() && !parse_line(std::move(line), error)) return false;
    i = last ? data.size() : nl + 1;
  }
  return true;
}

bool KeyFile::parse_line(std::string line, LinkMessage &error) {
  // GLib works on the line as a C string (a NUL ends most scans) but keeps
  // its full length for a few of them; so does this code.
  const char *const begin = line.c_str();
  const size_t length = line.size();
  const char *start = begin;
  while (is_space(*start)) ++start;

  if (*start == '#' || *start == '\0' || *start == '\n') return true;  // comment

  if (line_is_group(start)) {
    // The name ends at the last "]" within the line's full length.
    const char *name_end = begin + length - 1;
    while (*name_end != ']') --name_end;
    std::string name(start + 1, static_cast<size_t>(name_end - (start + 1)));
    name.resize(std::strlen(name.c_str()));
    if (!is_group_name(name.c_str())) {
      error = LinkMessage(N_("Invalid group name: %s"), name);
      return false;
    }
    groups_[name];
    current_ = name;
    if (!in_group_) start_ = name;
    in_group_ = true;
    return true;
  }

  const char *eq = std::strchr(start, '=');
  if (!eq || eq == start) {
    error = LinkMessage(
        N_("Key file contains line “%s” which is not a key-value pair, group, or comment"),
        utf8_make_valid(std::string_view(begin, length)));
    return false;
  }
  if (!in_group_) {
    error = N_("Key file does not start with a group");
    return false;
  }
  const char *key_end = eq - 1;
  while (is_space(*key_end)) --key_end;
  std::string key(start, static_cast<size_t>(key_end + 1 - start));
  if (!is_key_name(key.c_str())) {
    error = LinkMessage(N_("Invalid key name: %s"), key);
    return false;
  }
  const char *value_start = eq + 1;
  while (is_space(*value_start)) ++value_start;
  // The Encoding check sees the rest of the line, NULs and all (GLib
  // compares and shows those bytes); the stored value ends at a NUL.
  std::string_view raw(value_start, static_cast<size_t>(begin + length - value_start));
  if (current_ == start_ && key == "Encoding" && ascii_lower(raw) != "utf-8") {
    error = LinkMessage(N_("Key file contains unsupported encoding “%s”"), utf8_make_valid(raw));
    return false;
  }
  std::string value(value_start);
  groups_[current_][key] = std::move(value);
  return true;
}

std::optional<std::string> KeyFile::get_string(const std::string &group,
                                               const std::string &key) const {
  auto g = groups_.find(group);
  if (g == groups_.end()) return std::nullopt;
  auto k = g->second.find(key);
  if (k == g->second.end() || !utf8_valid(k->second)) return std::nullopt;
  return unescape_value(k->second.c_str());
}

}  // namespace vncgate::linkkeyfile
