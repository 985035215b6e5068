#include "sclient_tunnel.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <vector>

#include "subprocess.h"
#include "wait.h"

extern char **environ;

namespace vncgate::it::tls {

SClientTunnel::~SClientTunnel() {
  kill();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

bool SClientTunnel::listen(std::string &error) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 1) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr *>(&addr), &len) != 0) {
    error = std::string("tunnel listener: ") + strerror(errno);
    return false;
  }
  port_ = ntohs(addr.sin_port);
  return true;
}

bool SClientTunnel::accept_and_start(const SClientOptions &o, std::string &error,
                                     std::chrono::milliseconds timeout) {
  pollfd p{listen_fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) != 1) {
    error = "nobody connected to the tunnel";
    return false;
  }
  int conn = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (conn < 0) {
    error = std::string("accept: ") + strerror(errno);
    return false;
  }
  std::string openssl = find_program("openssl");
  if (openssl.empty()) {
    ::close(conn);
    error = "openssl not found (package openssl)";
    return false;
  }
  std::vector<std::string> args = {openssl,
                                   "s_client",
                                   "-quiet",
                                   "-no_ign_eof",
                                   "-nocommands",
                                   "-connect",
                                   "127.0.0.1:" + std::to_string(o.server_port),
                                   "-servername",
                                   o.verify_host,
                                   "-CAfile",
                                   o.ca,
                                   "-verify_hostname",
                                   o.verify_host,
                                   "-verify_return_error"};
  std::vector<char *> argv;
  for (auto &a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, conn, 0);
  posix_spawn_file_actions_adddup2(&actions, conn, 1);
  posix_spawn_file_actions_addopen(&actions, 2, o.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  int rc = posix_spawn(&pid_, openssl.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(conn);  // s_client has it now
  if (rc != 0) {
    pid_ = -1;
    error = std::string("cannot start openssl s_client: ") + strerror(rc);
    return false;
  }
  return true;
}

bool SClientTunnel::running() {
  if (pid_ < 0 || status_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    status_ = status;
    return false;
  }
  return true;
}

std::optional<int> SClientTunnel::wait_exit(std::chrono::milliseconds timeout) {
  wait_until([this] { return !running(); }, timeout, milliseconds(10));
  if (!status_ || !WIFEXITED(*status_)) return std::nullopt;
  return WEXITSTATUS(*status_);
}

void SClientTunnel::kill() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  if (waitpid(pid_, &status, 0) == pid_) status_ = status;
}

}  // namespace vncgate::it::tls
