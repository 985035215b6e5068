// Daemon logging: structured records to journald when stderr is the
// journal, else one line per record on stderr ("vncgated: info: ...").
// Callers never pass secrets; values are escaped so a hostile user name
// cannot forge a second log line.
#pragma once

#include <glib.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vncgate {

void logging_init(bool verbose);

using LogFields = std::vector<std::pair<std::string, std::string>>;

void log_record(GLogLevelFlags level, const std::string &message, const LogFields &fields = {});

inline void log_debug(const std::string &m) {
  log_record(G_LOG_LEVEL_DEBUG, m);
}
inline void log_info(const std::string &m) {
  log_record(G_LOG_LEVEL_INFO, m);
}
inline void log_warning(const std::string &m) {
  log_record(G_LOG_LEVEL_WARNING, m);
}
inline void log_error(const std::string &m) {
  log_record(G_LOG_LEVEL_CRITICAL, m);
}

// At most one line a second for one kind of flood (refused requests, say);
// the next line says how many were held back. Main thread only.
class LogThrottle {
 public:
  void info(const std::string &m) {
    const gint64 now = g_get_monotonic_time();
    if (now - last_us_ < G_USEC_PER_SEC) {
      ++held_;
      return;
    }
    log_info(held_ ? m + " (" + std::to_string(held_) + " more like it not logged)" : m);
    last_us_ = now;
    held_ = 0;
  }

 private:
  gint64 last_us_ = -G_USEC_PER_SEC;
  unsigned held_ = 0;
};

// Printable, single-line, valid UTF-8 form of untrusted text (user names,
// CONNECT lines, certificate subjects, tool output): bytes that are not
// UTF-8, C0/C1 controls, DEL, '"' and '\' become \xNN, U+0080-U+009F and
// U+2028/U+2029 become \uNNNN. At most `max` input bytes are kept (never
// half a character); "..." marks a cut. Pure.
std::string log_safe(std::string_view text, size_t max = 200);

}  // namespace vncgate
