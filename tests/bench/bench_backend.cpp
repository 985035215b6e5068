// vncgate-bench-backend: an RFB 3.8 server with security type None that,
// after ServerInit, runs the benchmark commands of bench_protocol.h (echo,
// sink, source). One thread per connection with a small stack, so a
// thousand idle sessions cost little.
//
//   vncgate-bench-backend [--listen ADDR] [--port N] [--port-file FILE]
//
// With --port 0 (the default) the kernel picks the port; it is printed on
// stdout and, if asked, written to FILE (atomically) once listening.
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench_protocol.h"
#include "rfb/parse.h"
#include "rfb/rfb_server.h"
#include "timed_socket.h"

namespace {

using vncgate::Bytes;
using vncgate::testing::TimedSocket;
using namespace vncgate::bench;

constexpr int kHandshakeTimeoutMs = 30000;
constexpr size_t kBufferSize = 256 * 1024;

bool read_exact(TimedSocket &s, uint8_t *buf, size_t n, std::string &error) {
  size_t done = 0;
  while (done < n) {
    long got = s.read_some(buf + done, n - done, error);
    if (got == 0) error = "client closed the connection";
    if (got <= 0) return false;
    done += static_cast<size_t>(got);
  }
  return true;
}

bool send_bytes(TimedSocket &s, const Bytes &b, std::string &error) {
  return s.write_all(b, error);
}

// RFB server side up to and including ServerInit.
bool handshake(TimedSocket &s, std::string &error) {
  if (!send_bytes(s, Bytes(vncgate::kServerVersion.begin(), vncgate::kServerVersion.end()), error))
    return false;
  uint8_t ver[12];
  if (!read_exact(s, ver, sizeof ver, error)) return false;
  auto v = vncgate::parse_client_version(vncgate::ByteSpan(ver, sizeof ver));
  if (v.status != vncgate::ParseStatus::Ok) {
    error = v.error;
    return false;
  }
  if (v.value.minor == 3) {
    Bytes type;
    vncgate::put_u32(type, vncgate::kSecNone);
    if (!send_bytes(s, type, error)) return false;
  } else {
    const uint8_t offer[] = {vncgate::kSecNone};
    if (!send_bytes(s, vncgate::encode_security_types(offer), error)) return false;
    uint8_t choice = 0;
    if (!read_exact(s, &choice, 1, error)) return false;
    if (choice != vncgate::kSecNone) {
      send_bytes(s, vncgate::encode_security_result(false, "only None is offered", v.value), error);
      error = "client chose security type " + std::to_string(choice);
      return false;
    }
    if (v.value.minor >= 8 &&
        !send_bytes(s, vncgate::encode_security_result(true, {}, v.value), error))
      return false;
  }
  uint8_t client_init = 0;
  if (!read_exact(s, &client_init, 1, error)) return false;
  Bytes init;
  vncgate::put_u16(init, 1024);
  vncgate::put_u16(init, 768);
  // 32 bpp, depth 24, little endian, true colour, max 255/255/255, shifts 16/8/0.
  const uint8_t pixel_format[16] = {32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0};
  vncgate::put_bytes(init, pixel_format, sizeof pixel_format);
  std::string name = "vncgate-bench";
  vncgate::put_u32(init, static_cast<uint32_t>(name.size()));
  vncgate::put_string(init, name);
  return send_bytes(s, init, error);
}

bool run_commands(TimedSocket &s, std::string &error) {
  std::vector<uint8_t> buf;
  for (;;) {
    uint8_t cmd[kCommandSize];
    std::string err;
    long got = s.read_some(cmd, 1, err);
    if (got == 0) return true;  // client finished
    if (got < 0) {
      error = err;
      return false;
    }
    if (cmd[0] == kOpQuit) return true;
    if (!read_exact(s, cmd + 1, kCommandSize - 1, error)) return false;
    uint64_t count = decode_count(cmd);
    if (buf.empty()) buf.assign(kBufferSize, 0x5a);
    switch (cmd[0]) {
      case kOpUpload: {
        while (count > 0) {
          long n = s.read_some(buf.data(), std::min<uint64_t>(count, buf.size()), error);
          if (n == 0) error = "client closed during upload";
          if (n <= 0) return false;
          count -= static_cast<uint64_t>(n);
        }
        const Bytes ack = {kUploadAck};
        if (!send_bytes(s, ack, error)) return false;
        break;
      }
      case kOpDownload:
        while (count > 0) {
          size_t n = static_cast<size_t>(std::min<uint64_t>(count, buf.size()));
          if (!s.write_all(std::span<const uint8_t>(buf.data(), n), error)) return false;
          count -= n;
        }
        break;
      case kOpEcho:
        while (count > 0) {
          long n = s.read_some(buf.data(), std::min<uint64_t>(count, buf.size()), error);
          if (n == 0) error = "client closed during echo";
          if (n <= 0) return false;
          if (!s.write_all(std::span<const uint8_t>(buf.data(), static_cast<size_t>(n)), error))
            return false;
          count -= static_cast<uint64_t>(n);
        }
        break;
      default:
        error = "unknown bench command byte " + std::to_string(cmd[0]);
        return false;
    }
  }
}

void *serve(void *arg) {
  int fd = static_cast<int>(reinterpret_cast<intptr_t>(arg));
  TimedSocket s = TimedSocket::adopt(fd, kHandshakeTimeoutMs);
  std::string error;
  bool ok = handshake(s, error);
  bool handshook = ok;
  if (ok) {
    s.set_timeout_ms(-1);  // idle sessions stay as long as the client wants
    ok = run_commands(s, error);
  }
  // Port probes (connect, then close) are not worth a message.
  if (!ok && !(s.is_open() && error == "client closed the connection" && !handshook))
    std::fprintf(stderr, "bench-backend: connection: %s\n", error.c_str());
  return nullptr;
}

int usage() {
  std::fprintf(stderr,
               "usage: vncgate-bench-backend [--listen ADDR] [--port N] [--port-file FILE]\n");
  return 2;
}

}  // namespace

int main(int argc, char **argv) {
  std::string host = "127.0.0.1", port_file;
  long port = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) return usage();
    if (a == "--listen")
      host = argv[++i];
    else if (a == "--port")
      port = std::strtol(argv[++i], nullptr, 10);
    else if (a == "--port-file")
      port_file = argv[++i];
    else
      return usage();
  }
  if (port < 0 || port > 65535) return usage();
  std::string error;
  uint16_t bound = 0;
  int lfd = vncgate::testing::listen_tcp(host, static_cast<uint16_t>(port), bound, error);
  if (lfd < 0) {
    std::fprintf(stderr, "bench-backend: %s\n", error.c_str());
    return 1;
  }
  std::printf("%u\n", bound);
  std::fflush(stdout);
  if (!port_file.empty()) {
    std::string tmp = port_file + ".tmp";
    FILE *f = std::fopen(tmp.c_str(), "w");
    if (f == nullptr || std::fprintf(f, "%u\n", bound) < 0 || std::fclose(f) != 0 ||
        std::rename(tmp.c_str(), port_file.c_str()) != 0) {
      std::fprintf(stderr, "bench-backend: writing %s: %s\n", port_file.c_str(),
                   std::strerror(errno));
      return 1;
    }
  }
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  for (;;) {
    int fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      std::fprintf(stderr, "bench-backend: accept: %s\n", std::strerror(errno));
      if (errno == EMFILE || errno == ENFILE) {
        usleep(10000);  // out of fds: let connections finish
        continue;
      }
      return 1;
    }
    pthread_t t;
    if (pthread_create(&t, &attr, serve, reinterpret_cast<void *>(static_cast<intptr_t>(fd))) !=
        0) {
      std::fprintf(stderr, "bench-backend: cannot start a thread\n");
      close(fd);
    }
  }
}
