// The link parser's refusals (common/link) in the user's language, for the
// launcher and the viewer, the two programs that show them.
//
// The parser has no gettext (it also builds for Windows without GLib): it
// returns English texts marked with N_(). A text without "%s" is a msgid as
// it stands. A text with one had its "%s" filled in by linktext::fill(): it
// is matched against the templates below, whose fixed part is translated;
// where the filled-in part is itself a parser message (the URI or key-file
// reason inside "not a valid link: %s") that part is translated too, while
// user text (a parameter name) is left as it is.
// po/check-link-messages.sh keeps this list in step with the parser.
#pragma once

#include <string>
#include <string_view>

namespace vncgate {

struct LinkMessageTemplate {
  const char *text;  // N_()-marked in common/link, with one "%s"
  bool nested;       // the "%s" is another parser message
};

inline constexpr LinkMessageTemplate kLinkMessageTemplates[] = {
    {"link parameter '%s' appears twice", false},
    {"malformed link parameters: %s", true},
    {"unknown link parameter '%s'", false},
    {"not a valid link: %s", true},
    {"unsupported link type '%s' (expected vncgate:// or vnc://)", false},
    {"not a valid .vv file: %s", true},
    {"Invalid group name: %s", false},
    {"Key file contains line “%s” which is not a key-value pair, group, or comment", false},
    {"Invalid key name: %s", false},
    {"Key file contains unsupported encoding “%s”", false},
    {"Invalid IPv6 address ‘%s’ in URI", false},
    {"Illegal encoded IP address ‘%s’ in URI", false},
    {"Illegal internationalized hostname ‘%s’ in URI", false},
    {"Could not parse port ‘%s’ in URI", false},
    {"Port ‘%s’ in URI is out of range", false},
};

// `translate` maps a msgid (const char *) to its translation (std::string),
// e.g. through dgettext; the message comes back as it is when nothing fits.
template <class Translate>
std::string translate_link_message(const std::string &message, const Translate &translate) {
  std::string whole = translate(message.c_str());
  if (whole != message) return whole;
  for (const LinkMessageTemplate &t : kLinkMessageTemplates) {
    const std::string_view text(t.text);
    const size_t at = text.find("%s");
    const std::string_view head = text.substr(0, at), tail = text.substr(at + 2);
    if (message.size() < head.size() + tail.size() || !message.starts_with(head) ||
        !message.ends_with(tail))
      continue;
    std::string arg = message.substr(head.size(), message.size() - head.size() - tail.size());
    if (t.nested) arg = translate_link_message(arg, translate);
    std::string out = translate(t.text);
    if (const size_t p = out.find("%s"); p != std::string::npos) out.replace(p, 2, arg);
    return out;
  }
  return message;
}

}  // namespace vncgate
