// Session: the PROXY protocol header that a trusted load balancer
// ([gateway] proxy-protocol-from) sends before the client's first byte.
#include "logging.h"
#include "net/proxy_protocol.h"
#include "session.h"

namespace vncgate {

// The header of a trusted balancer: the client it names becomes this
// session's client, admitted like a direct one; then its own protocol.
bool Session::on_proxy_header() {
  auto parsed = parse_proxy_header(client_->input());
  if (parsed.status == ParseStatus::NeedMore) return false;
  if (parsed.status == ParseStatus::Error) {
    log_warning(log_prefix() + "refused connection from " + client_addr_ +
                " (proxy-protocol-from): " + parsed.error);
    end(EndReason(EndCode::ProtocolError, parsed.error));
    return false;
  }
  client_->consume(parsed.consumed);
  if (!parsed.value.local) {
    const ProxyEndpoint &source = parsed.value.source;
    g_autoptr(GInetAddress) ia = g_inet_address_new_from_bytes(
        source.address.data(),
        source.family == ProxyFamily::Inet ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6);
    std::string balancer = client_addr_;
    std::string ip = proxy_address_text(source), port = std::to_string(source.port);
    client_addr_ = ip.find(':') != std::string::npos ? "[" + ip + "]:" + port : ip + ":" + port;
    client_ip_port_ = ip + ";" + port;  // Cyrus' form
    log_info(log_prefix() + "client " + client_addr_ + " through " + balancer);
    // The balancer's place goes first, so that the client never holds two.
    admission_.release();
    std::string why;
    admission_ = host_.admit_proxied_client(id_, ia, why);
    if (!admission_.held()) {
      log_warning(log_prefix() + "refused connection from " + client_addr_ + ": " + why);
      end(EndReason(EndCode::SourceRefused, why));
      return false;
    }
  }
  begin_protocol();
  return state_ == State::ReadConnect || state_ == State::Negotiating;
}

}  // namespace vncgate
