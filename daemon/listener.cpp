#include "listener.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "logging.h"

namespace vncgate {
namespace {

// Connections taken per wake-up, so one busy port cannot starve the others.
constexpr int kAcceptBurst = 64;
constexpr unsigned kFirstBackoffMs = 50;
constexpr unsigned kMaxBackoffMs = 1000;

// Pauses are logged at most once a second for the whole daemon: every
// listener runs out of descriptors at the same moment.
struct PauseLog {
  gint64 last_us = G_MININT64 / 2;
  uint64_t suppressed = 0;
};
PauseLog pause_log;

std::string local_name(GSocket *socket) {
  g_autoptr(GSocketAddress) a = g_socket_get_local_address(socket, nullptr);
  if (!a || !G_IS_INET_SOCKET_ADDRESS(a)) return "?";
  auto *isa = G_INET_SOCKET_ADDRESS(a);
  g_autofree gchar *ip = g_inet_address_to_string(g_inet_socket_address_get_address(isa));
  std::string ips = ip;
  std::string port = std::to_string(g_inet_socket_address_get_port(isa));
  return ips.find(':') != std::string::npos ? "[" + ips + "]:" + port : ips + ":" + port;
}

}  // namespace

Listener::Listener(std::optional<std::string> console, int backlog, Accept accept)
    : console_(std::move(console)), backlog_(backlog), accept_(std::move(accept)) {}

Listener::~Listener() {
  for (auto &b : bound_) {
    b.watch.reset();
    g_socket_close(b.socket.get(), nullptr);
  }
}

bool Listener::bind_one(GSocketFamily family, GSocketAddress *address, bool *speaks_ipv4,
                        std::string &error) {
  g_autoptr(GError) err = nullptr;
  auto s = GObjectPtr<GSocket>::adopt(
      g_socket_new(family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &err));
  if (s) {
    g_socket_set_listen_backlog(s.get(), backlog_);
    if (!g_socket_bind(s.get(), address, TRUE, &err) || !g_socket_listen(s.get(), &err)) s.reset();
  }
  if (!s) {
    error = err->message;
    return false;
  }
  if (speaks_ipv4) *speaks_ipv4 = g_socket_speaks_ipv4(s.get());
  GSocket *raw = s.get();  // owned by the Bound entry, which outlives its watch
  Bound b{std::move(s), nullptr};
  b.watch =
      std::make_unique<FdWatch>(g_socket_get_fd(raw), [this, raw](GIOCondition) { on_ready(raw); });
  b.watch->set_events(paused() ? GIOCondition(0) : G_IO_IN);
  bound_.push_back(std::move(b));
  return true;
}

bool Listener::add(const HostPort &address, std::string &error) {
  std::string why;
  bool ok;
  if (address.host.empty()) {
    // Like g_socket_listener_add_inet_port: IPv6 "::" (dual stack where the
    // system allows it), plus IPv4 "0.0.0.0" when IPv6 does not carry IPv4.
    g_autoptr(GInetAddress) any6 = g_inet_address_new_any(G_SOCKET_FAMILY_IPV6);
    g_autoptr(GSocketAddress) sa6 = g_inet_socket_address_new(any6, address.port);
    bool v4 = false;
    ok = bind_one(G_SOCKET_FAMILY_IPV6, sa6, &v4, why);
    if (!ok || !v4) {
      g_autoptr(GInetAddress) any4 = g_inet_address_new_any(G_SOCKET_FAMILY_IPV4);
      g_autoptr(GSocketAddress) sa4 = g_inet_socket_address_new(any4, address.port);
      std::string why4;
      if (bind_one(G_SOCKET_FAMILY_IPV4, sa4, nullptr, why4)) {
        ok = true;
      } else if (!ok) {
        why = why4;
      }
    }
  } else {
    g_autoptr(GInetAddress) ia = g_inet_address_new_from_string(address.host.c_str());
    if (!ia) {
      error = "cannot listen on " + address.to_string() + ": not an IP address";
      return false;
    }
    g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(ia, address.port);
    ok = bind_one(g_inet_address_get_family(ia), sa, nullptr, why);
  }
  if (!ok) {
    error = "cannot listen on " + address.to_string() + ": " + why;
    return false;
  }
  addresses_.push_back(address);
  return true;
}

void Listener::set_backlog(int backlog) {
  if (backlog == backlog_) return;
  backlog_ = backlog;
  for (auto &b : bound_) {
    // Linux applies a second listen() to a listening socket as a new backlog.
    if (::listen(g_socket_get_fd(b.socket.get()), backlog) != 0)
      log_warning("cannot change the listen backlog of " + local_name(b.socket.get()) + ": " +
                  std::strerror(errno));
  }
}

void Listener::on_ready(GSocket *socket) {
  int lfd = g_socket_get_fd(socket);
  for (int i = 0; i < kAcceptBurst; ++i) {
    int fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      int e = errno;
      if (e == EAGAIN || e == EWOULDBLOCK) return;
      if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) return pause(e, socket);
      // ECONNABORTED, EINTR, EPROTO and network errors concern one connection only.
      continue;
    }
    backoff_ms_ = 0;
    g_autoptr(GSocket) s = g_socket_new_from_fd(fd, nullptr);
    if (!s) {
      ::close(fd);
      continue;
    }
    g_autoptr(GSocketConnection) conn = g_socket_connection_factory_create_connection(s);
    accept_(conn, console_);  // borrowed: the session takes its own reference
  }
}

void Listener::pause(int err, GSocket *socket) {
  backoff_ms_ = backoff_ms_ ? std::min(backoff_ms_ * 2, kMaxBackoffMs) : kFirstBackoffMs;
  for (auto &b : bound_) b.watch->set_events(GIOCondition(0));
  gint64 now = g_get_monotonic_time();
  if (now - pause_log.last_us >= G_USEC_PER_SEC) {
    std::string more = pause_log.suppressed ? " (" + std::to_string(pause_log.suppressed) +
                                                  " more pauses since the last warning)"
                                            : "";
    log_warning("cannot accept connections on " + local_name(socket) + ": " + std::strerror(err) +
                "; accepting pauses for " + std::to_string(backoff_ms_) + " ms" + more +
                (err == EMFILE || err == ENFILE
                     ? " (raise LimitNOFILE or lower max-sessions/max-handshakes)"
                     : ""));
    pause_log.last_us = now;
    pause_log.suppressed = 0;
  } else {
    ++pause_log.suppressed;
  }
  resume_timer_.once(backoff_ms_, [this] { resume(); });
}

void Listener::resume() {
  for (auto &b : bound_) b.watch->set_events(G_IO_IN);
}

}  // namespace vncgate
