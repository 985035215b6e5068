#include "connect_response.h"

#include <glib.h>
#include <glib/gi18n.h>

namespace vncgate::viewer {

std::string connect_request(const ConsoleLink &link, bool with_token, AuthHint hint) {
  // The parser admits only [A-Za-z0-9._-] in console names and
  // [A-Za-z0-9_-] in tokens, so nothing here needs escaping; check anyway.
  std::string target = "/console/" + link.console;
  if (with_token && !link.token.empty() && is_valid_token(link.token))
    target += "?token=" + link.token;
  const std::string host =
      link.host.find(':') != std::string::npos ? "[" + link.host + "]" : link.host;
  std::string request =
      "CONNECT " + target + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(link.port) + "\r\n";
  if (hint != AuthHint::None)
    request += std::string(kAuthHintHeader) + ": " + std::string(auth_hint_name(hint)) + "\r\n";
  return request + "\r\n";
}

namespace {

ConnectResponse invalid(std::string why, bool rfb = false) {
  ConnectResponse r;
  r.state = ResponseState::Invalid;
  r.error = std::move(why);
  r.looks_like_rfb = rfb;
  return r;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

ConnectResponse parse_connect_response(std::string_view in) {
  constexpr std::string_view kRfb = "RFB ";
  constexpr std::string_view kHttp = "HTTP/1.";
  // Decide early when the first bytes already rule out HTTP.
  if (in.starts_with(kRfb))
    return invalid("the server answered with an RFB greeting, not HTTP", true);
  if (in.size() < kRfb.size() && kRfb.starts_with(in)) return {};
  const size_t head = std::min(in.size(), kHttp.size());
  if (in.substr(0, head) != kHttp.substr(0, head))
    return invalid("the server's answer is not HTTP");

  const size_t end = in.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (in.size() >= kMaxConnectResponse)
      return invalid("the server's answer is larger than " + std::to_string(kMaxConnectResponse) +
                     " bytes");
    return {};
  }
  if (end + 4 > kMaxConnectResponse)
    return invalid("the server's answer is larger than " + std::to_string(kMaxConnectResponse) +
                   " bytes");
  const std::string_view line = in.substr(0, in.find("\r\n"));
  // "HTTP/1.x SSS[ reason]"
  if (line.size() < 12 || (line[7] != '0' && line[7] != '1') || line[8] != ' ' ||
      !is_digit(line[9]) || !is_digit(line[10]) || !is_digit(line[11]) ||
      (line.size() > 12 && line[12] != ' '))
    return invalid("malformed HTTP status line");
  for (char c : in.substr(0, end)) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\r' && c != '\n' && c != '\t') || u == 0x7f)
      return invalid("control character in the server's answer");
  }
  ConnectResponse r;
  r.state = ResponseState::Complete;
  r.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  if (r.status < 100) return invalid("malformed HTTP status code");
  if (line.size() > 13) r.reason = std::string(line.substr(13));
  r.consumed = end + 4;
  return r;
}

std::string message_for_status(int status, std::string_view reason) {
  switch (status) {
    case 200:
      return _("Connected.");
    case 400:
      return _("The gateway did not understand the request. The console link may be damaged.");
    case 401:
    case 403:
      return _("You are not allowed to open this console.");
    case 404:
      return _("This console link is not valid or has expired.");
    case 503:
      return _("The console could not be opened on the host. Try again later.");
  }
  std::string r(reason.substr(0, 80));
  for (char &c : r)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  gchar *m =
      g_strdup_printf(_("The gateway refused the connection (HTTP %d %s)."), status, r.c_str());
  std::string out = m;
  g_free(m);
  return out;
}

}  // namespace vncgate::viewer
