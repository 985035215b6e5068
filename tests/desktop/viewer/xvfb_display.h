// An Xvfb X server for desktop tests (1024x768x24 on a free display
// number, no TCP), waited for with a bound and killed by the destructor;
// plus captures of its root window as PNG through GDK.
#pragma once

#include <string>

#include "subprocess.h"

namespace vncgate::desktop {

class XvfbDisplay {
 public:
  XvfbDisplay() = default;
  ~XvfbDisplay();
  XvfbDisplay(const XvfbDisplay &) = delete;
  XvfbDisplay &operator=(const XvfbDisplay &) = delete;

  bool start(const std::string &log_path, std::string &error);
  void stop();
  // ":N"
  std::string name() const { return ":" + std::to_string(display_); }

  // Saves the whole screen as PNG.
  bool capture(const std::string &png_path, std::string &error) const;
  // Saves the w x h rectangle at (x, y) of the screen (e.g. one window).
  bool capture_area(const std::string &png_path, int x, int y, int w, int h,
                    std::string &error) const;

 private:
  it::Subprocess process_;
  int display_ = -1;
};

// Xvfb is installed (package xvfb).
bool xvfb_available();

// One Xvfb for the whole test process, started on first use and stopped
// at exit; nullptr with `error` when it cannot start.
XvfbDisplay *shared_xvfb(std::string &error);

}  // namespace vncgate::desktop
