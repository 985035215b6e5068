#include "hostile_clients.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "subprocess.h"

#ifndef VNCGATE_CONTROL_TEST_DIR
#error "VNCGATE_CONTROL_TEST_DIR must be defined by meson"
#endif

namespace vncgate::it {

size_t open_fds(pid_t pid) {
  std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR *d = opendir(dir.c_str());
  if (!d) return 0;
  size_t n = 0;
  while (struct dirent *e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n;
}

long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold blanks) in parentheses.
  size_t close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string http_clients_script() {
  return std::string(VNCGATE_CONTROL_TEST_DIR) + "/http_clients.py";
}

Json run_http_clients(const std::vector<std::string> &args, std::string &output,
                      std::chrono::seconds timeout) {
  std::vector<std::string> argv = {"python3", http_clients_script()};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult r = run_command(argv, "", timeout);
  output = r.output;
  if (r.exit_code != 0) return Json::parse("");
  // The last line is the JSON result.
  std::string last = r.output;
  while (!last.empty() && last.back() == '\n') last.pop_back();
  size_t nl = last.rfind('\n');
  if (nl != std::string::npos) last = last.substr(nl + 1);
  return Json::parse(last);
}

}  // namespace vncgate::it
