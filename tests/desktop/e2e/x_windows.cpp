#include "x_windows.h"

#include <chrono>
#include <map>
#include <sstream>

#include "subprocess.h"

namespace vncgate::desktop {
namespace {

it::CommandResult xdotool(const std::string &display, const std::vector<std::string> &args) {
  std::vector<std::string> argv = {"env", "DISPLAY=" + display, it::find_program("xdotool")};
  argv.insert(argv.end(), args.begin(), args.end());
  return it::run_command(argv, "", std::chrono::seconds(10));
}

std::vector<std::string> lines(const std::string &text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

}  // namespace

bool XWindows::available() {
  return !it::find_program("xdotool").empty();
}

std::vector<std::string> XWindows::search(std::vector<std::string> args) const {
  args.insert(args.begin(), {"search", "--onlyvisible"});
  auto r = xdotool(display_, args);
  // Exit 1 with no output: nothing matched.
  return r.exit_code == 0 ? lines(r.output) : std::vector<std::string>{};
}

std::vector<std::string> XWindows::visible_of_pid(pid_t pid) const {
  return search({"--pid", std::to_string(pid)});
}

std::vector<std::string> XWindows::visible_named(const std::string &name) const {
  return search({"--name", name});
}

std::optional<pid_t> XWindows::pid_of(const std::string &window) const {
  auto r = xdotool(display_, {"getwindowpid", window});
  if (r.exit_code != 0) return std::nullopt;
  try {
    return static_cast<pid_t>(std::stol(r.output));
  } catch (const std::exception &) {
    return std::nullopt;
  }
}

std::optional<Rect> XWindows::geometry(const std::string &window) const {
  auto r = xdotool(display_, {"getwindowgeometry", "--shell", window});
  if (r.exit_code != 0) return std::nullopt;
  std::map<std::string, int> v;
  for (const auto &line : lines(r.output)) {
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    try {
      v[line.substr(0, eq)] = std::stoi(line.substr(eq + 1));
    } catch (const std::exception &) {
    }
  }
  if (!v.count("X") || !v.count("Y") || !v.count("WIDTH") || !v.count("HEIGHT"))
    return std::nullopt;
  return Rect{v["X"], v["Y"], v["WIDTH"], v["HEIGHT"]};
}

}  // namespace vncgate::desktop
