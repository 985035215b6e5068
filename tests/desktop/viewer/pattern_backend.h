// A TigerVNC Xvnc backend whose screen shows a known, non-repeating-looking
// picture (an irregular two-colour bitmap tiled over the root window by
// xsetroot, and an invisible root cursor), so screenshots taken through
// the viewer can be compared pixel for pixel with a direct capture.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "image_compare.h"
#include "subprocess.h"

namespace vncgate::desktop {

// The console size the Xvfb tests give their backends.
inline constexpr int kConsoleWidth = 640;
inline constexpr int kConsoleHeight = 480;
// gvnccapture does not ask for the cursor pseudo-encoding, so Xvnc draws
// the pointer (in the middle of the screen) into its picture; the viewer
// shows the pointer locally instead. Comparisons skip that area.
inline constexpr Rect kPointerArea{kConsoleWidth / 2 - 16, kConsoleHeight / 2 - 16, 32, 32};

class PatternBackend {
 public:
  PatternBackend() = default;
  ~PatternBackend();
  PatternBackend(const PatternBackend &) = delete;
  PatternBackend &operator=(const PatternBackend &) = delete;

  // The pattern's two colours ("#rrggbb"); call before start(). Two
  // backends with different colours show consoles that cannot be mistaken
  // for each other.
  void set_colours(std::string foreground, std::string background) {
    fg_ = std::move(foreground);
    bg_ = std::move(background);
  }

  // Files go to `dir`. False with `error` when Xvnc or xsetroot failed.
  bool start(const std::string &dir, int width, int height, std::string &error);
  void stop();
  // Starts again after stop(), on the same port (a console that comes back).
  bool restart(std::string &error);

  uint16_t port() const { return port_; }
  int width() const { return width_; }
  int height() const { return height_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // gvnccapture straight from the backend (no gateway) into `png`.
  bool capture_directly(const std::string &png, std::string &error) const;

 private:
  bool launch(int display, std::string &error);
  bool paint(std::string &error);

  it::Subprocess process_;
  std::string dir_;
  uint16_t port_ = 0;
  int display_ = -1;
  int width_ = 0;
  int height_ = 0;
  std::string fg_ = "#1f6fb2";
  std::string bg_ = "#f2c14e";
};

}  // namespace vncgate::desktop
