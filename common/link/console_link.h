// Console links: the one parser shared by daemon (minting), launcher and
// viewer. A link is hostile input: every field is checked against a strict
// grammar, and nothing parsed here is ever meant for a shell or a path.
//
//   vncgate://HOST[:PORT]/console/NAME[?token=T&tls=x509|anon|none&title=TEXT]
//   vnc://[USER@]HOST[:PORT][?ConnectionName=..&VncUsername=..&SecurityType=..&ViewOnly=..]
//   virt-viewer .vv file: [virt-viewer] type=vnc host= port= title= delete-this-file=
//                         vncgate-console=NAME vncgate-token=T vncgate-tls=x509|anon|none
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "link/link_message.h"

namespace vncgate {

enum class LinkKind { Vncgate, Vnc, VirtViewerFile };
enum class LinkTls { Default, X509, Anon, None };

struct ConsoleLink {
  LinkKind kind = LinkKind::Vncgate;
  std::string host;  // DNS name, IPv4 or IPv6 literal (no brackets)
  uint16_t port = 5901;
  std::string console;  // CONNECT /console/NAME; empty for plain vnc:// and plain .vv
  std::string token;
  LinkTls tls = LinkTls::Default;
  std::string title;
  std::string username;
  bool has_password = false;  // a password was in the link: warn, never use silently
  std::string password;
  bool view_only = false;
  int security_type = 0;  // RFC 7869 SecurityType, 0 = unspecified
  bool delete_file = false;

  // "vncgate://host:port/console/name" without secrets (for titles, logs).
  std::string display_name() const;
  // Key that identifies one console for "one viewer per console".
  std::string identity() const;
  // Canonical vncgate:// form, with token and title when present.
  std::string to_url() const;
};

inline constexpr size_t kMaxLinkLength = 2048;
inline constexpr size_t kMaxVvFileSize = 64 * 1024;

struct LinkParse {
  std::optional<ConsoleLink> link;
  std::string error;   // why the link was refused, in English (reason.text())
  LinkMessage reason;  // the same, for a display site to translate
};

LinkParse parse_console_link(std::string_view text);
LinkParse parse_vv_file(std::string_view contents);

// A web link (docs/web.md): https://HOST:PORT/console/NAME#token=T (http://
// only for a loopback web front without TLS). The token is in the fragment,
// which a browser never sends in a request, a Referer or a proxy's log; the
// page hands it over on its WebSocket.
std::string web_link_url(bool tls, const std::string &host, uint16_t port,
                         const std::string &console, const std::string &token);

bool is_valid_link_host(std::string_view host);
bool is_valid_token(std::string_view token);

}  // namespace vncgate
