#include "pattern_backend.h"

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <random>

#include "raw_socket.h"
#include "temp_dir.h"
#include "wait.h"
#include "xvnc_backend.h"

namespace vncgate::desktop {

namespace {

// An XBM bitmap of w x h pseudo-random bits (fixed seed).
std::string xbm(const std::string &name, int w, int h, bool blank) {
  std::mt19937 rng(20240607);
  std::string out = "#define " + name + "_width " + std::to_string(w) + "\n#define " + name +
                    "_height " + std::to_string(h) + "\nstatic unsigned char " + name +
                    "_bits[] = {\n";
  const int row_bytes = (w + 7) / 8;
  for (int i = 0; i < row_bytes * h; ++i) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "%s0x%02x", i ? (i % 12 ? "," : ",\n") : "",
                  blank ? 0u : static_cast<unsigned>(rng() & 0xffu));
    out += byte;
  }
  return out + "};\n";
}

bool exists(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

}  // namespace

PatternBackend::~PatternBackend() {
  stop();
}

void PatternBackend::stop() {
  if (!process_.running()) return;
  process_.kill_and_reap();
  if (display_ >= 0) it::remove_x_display_files(display_);
  display_ = -1;
}

bool PatternBackend::launch(int n, std::string &error) {
  it::SpawnOptions o;
  o.argv = {"Xvnc",
            ":" + std::to_string(n),
            "-geometry",
            std::to_string(width_) + "x" + std::to_string(height_),
            "-depth",
            "24",
            "-localhost",
            "-interface",
            "127.0.0.1",
            "-rfbport",
            std::to_string(port_),
            "-nolisten",
            "tcp",
            "-SecurityTypes",
            "None",
            "-desktop",
            "vncgate-pattern"};
  o.stdout_path = o.stderr_path = dir_ + "/pattern-xvnc.log";
  if (!process_.start(o, error)) return false;
  const std::string sock = "/tmp/.X11-unix/X" + std::to_string(n);
  const bool up = it::wait_until(
      [&] { return !process_.running() || (it::port_accepts(port_) && exists(sock)); },
      it::milliseconds(5000));
  if (up && process_.running()) {
    display_ = n;
    return true;
  }
  process_.kill_and_reap();
  it::remove_x_display_files(n);
  error = "Xvnc did not start (see " + dir_ + "/pattern-xvnc.log)";
  return false;
}

bool PatternBackend::paint(std::string &error) {
  const std::string xsetroot = it::find_program("xsetroot");
  if (xsetroot.empty()) {
    error = "xsetroot not found (package x11-xserver-utils)";
    return false;
  }
  const std::string pattern = dir_ + "/pattern.xbm", blank = dir_ + "/blank.xbm";
  it::write_file(pattern, xbm("p", 61, 53, false));
  it::write_file(blank, xbm("b", 16, 16, true));
  const std::string d = ":" + std::to_string(display_);
  for (const auto &argv : std::vector<std::vector<std::string>>{
           {xsetroot, "-display", d, "-bitmap", pattern, "-fg", fg_, "-bg", bg_},
           {xsetroot, "-display", d, "-cursor", blank, blank}}) {
    auto r = it::run_command(argv, "", std::chrono::seconds(10));
    if (r.exit_code != 0) {
      error = "xsetroot failed: " + r.output;
      return false;
    }
  }
  return true;
}

bool PatternBackend::start(const std::string &dir, int width, int height, std::string &error) {
  dir_ = dir;
  width_ = width;
  height_ = height;
  std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> displays(6000, 6999);
  for (int attempt = 0; attempt < 5 && display_ < 0; ++attempt) {
    const int n = displays(rng);
    if (exists("/tmp/.X11-unix/X" + std::to_string(n)) ||
        exists("/tmp/.X" + std::to_string(n) + "-lock"))
      continue;
    port_ = it::free_loopback_port();
    launch(n, error);
  }
  return display_ >= 0 && paint(error);
}

bool PatternBackend::restart(std::string &error) {
  std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> displays(6000, 6999);
  for (int attempt = 0; attempt < 5 && display_ < 0; ++attempt) {
    const int n = displays(rng);
    if (exists("/tmp/.X11-unix/X" + std::to_string(n)) ||
        exists("/tmp/.X" + std::to_string(n) + "-lock"))
      continue;
    launch(n, error);
  }
  return display_ >= 0 && paint(error);
}

bool PatternBackend::capture_directly(const std::string &png, std::string &error) const {
  const std::string tool = it::find_program("gvnccapture");
  if (tool.empty()) {
    error = "gvnccapture not found (package gvncviewer)";
    return false;
  }
  // gvnccapture takes HOST:DISPLAY, the port being 5900 + DISPLAY.
  auto r = it::run_command({tool, "127.0.0.1:" + std::to_string(port_ - 5900), png}, "",
                           std::chrono::seconds(20));
  if (r.exit_code != 0) {
    error = "gvnccapture failed: " + r.output;
    return false;
  }
  return true;
}

}  // namespace vncgate::desktop
