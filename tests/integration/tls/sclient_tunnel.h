// `openssl s_client` as a TLS client in front of a plain test client: the
// tunnel listens on a loopback port, the test client connects there, and
// the accepted connection becomes s_client's stdin and stdout, so every
// byte the test client writes goes to the server inside TLS (from byte 0)
// and s_client verifies the server certificate. s_client exits when the
// test client closes; the destructor kills it if it is still running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace vncgate::it::tls {

struct SClientOptions {
  uint16_t server_port = 0;  // TLS server on 127.0.0.1
  std::string ca;            // -CAfile; the certificate must verify
  std::string verify_host = "localhost";
  std::string log_path;  // s_client's stderr
};

class SClientTunnel {
 public:
  SClientTunnel() = default;
  ~SClientTunnel();
  SClientTunnel(const SClientTunnel &) = delete;
  SClientTunnel &operator=(const SClientTunnel &) = delete;

  // Listens on a free loopback port (returned by port()).
  bool listen(std::string &error);
  uint16_t port() const { return port_; }
  // Accepts the test client's connection (bounded) and starts s_client on it.
  bool accept_and_start(const SClientOptions &options, std::string &error,
                        std::chrono::milliseconds timeout = std::chrono::seconds(5));

  bool running();
  // Waits for s_client to exit; its exit code, or nullopt.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  void kill();

 private:
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

}  // namespace vncgate::it::tls
