// URI splitting for console links, following RFC 3986 the way GLib's GUri
// does with G_URI_FLAGS_ENCODED_QUERY | G_URI_FLAGS_SCHEME_NORMALIZE (the
// parser used GUri before it had to build without GLib; every accepted and
// refused link must stay the same, and the error texts too):
//   - userinfo, host, path and fragment are percent-decoded and must be
//     UTF-8; the path has its dot segments removed (after decoding);
//   - the query keeps %XX for reserved characters (split_query decodes);
//   - a host is a name, an IPv4 address, or [IPv6] (optionally %25zone);
//     a percent-encoded IP address is refused.
// One deliberate difference: GUri turns a percent-encoded non-ASCII host
// name into its xn-- (IDNA) form; this parser refuses it instead (give the
// xn-- form in the link), so no Unicode tables are needed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "link/link_message.h"

namespace vncgate::linkuri {

struct UriParts {
  std::string scheme;  // lower case
  std::optional<std::string> userinfo;
  std::optional<std::string> host;  // IPv6 without brackets
  int port = -1;                    // -1: none given
  std::string path;
  std::optional<std::string> query;
  std::optional<std::string> fragment;
};

struct UriSplit {
  std::optional<UriParts> uri;
  LinkMessage error;  // GLib's text, e.g. "Invalid %-encoding in URI"
};

// Splits an absolute URI.
UriSplit split_uri(std::string_view text);

// The query's name=value pairs, decoded, in order, as GUriParamsIter with
// separator "&" returns them: the pairs before a malformed one, and why
// that one is malformed (empty when all are well-formed).
struct QuerySplit {
  std::vector<std::pair<std::string, std::string>> params;
  LinkMessage error;
};
QuerySplit split_query(std::string_view query);

// g_uri_escape_string(s, NULL, FALSE): all but A-Z a-z 0-9 - . _ ~ as %XX.
std::string escape(std::string_view s);
// g_uri_unescape_string(s, NULL): nullopt on a bad %-escape or a NUL.
std::optional<std::string> unescape(std::string_view s);

// g_hostname_is_ip_address on a C string: dotted-quad IPv4 (no leading
// zeros) or IPv6 text, which may end in a "%zone" of any characters. Stops
// at the first NUL, as GLib does.
bool is_ip_address(const char *host);

}  // namespace vncgate::linkuri
