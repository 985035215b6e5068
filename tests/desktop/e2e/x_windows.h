// Top-level windows on a test X display, looked up with xdotool (the same
// tool the other desktop tests drive dialogs with). Xvfb has no window
// manager, so a window's geometry is its place on the screen.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "image_compare.h"

namespace vncgate::desktop {

class XWindows {
 public:
  explicit XWindows(std::string display) : display_(std::move(display)) {}

  // xdotool is installed.
  static bool available();

  // Mapped windows whose _NET_WM_PID is `pid` / whose name matches the
  // regular expression `name` (xdotool's syntax), as window ids.
  std::vector<std::string> visible_of_pid(pid_t pid) const;
  std::vector<std::string> visible_named(const std::string &name) const;
  // _NET_WM_PID of a window, if set.
  std::optional<pid_t> pid_of(const std::string &window) const;
  // Position and size on the screen.
  std::optional<Rect> geometry(const std::string &window) const;

 private:
  std::vector<std::string> search(std::vector<std::string> args) const;
  std::string display_;
};

}  // namespace vncgate::desktop
