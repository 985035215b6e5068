#include "logging.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>

#include "text/clean_utf8.h"

namespace vncgate {
namespace {

bool g_verbose = false;
bool g_journal = false;

const char *level_name(GLogLevelFlags level) {
  if (level & G_LOG_LEVEL_ERROR) return "error";
  if (level & G_LOG_LEVEL_CRITICAL) return "error";
  if (level & G_LOG_LEVEL_WARNING) return "warning";
  if (level & G_LOG_LEVEL_MESSAGE) return "notice";
  if (level & G_LOG_LEVEL_INFO) return "info";
  return "debug";
}

GLogWriterOutput writer(GLogLevelFlags level, const GLogField *fields, gsize n, gpointer) {
  if ((level & G_LOG_LEVEL_DEBUG) && !g_verbose) return G_LOG_WRITER_HANDLED;
  if (g_journal) return g_log_writer_journald(level, fields, n, nullptr);
  const char *message = nullptr;
  for (gsize i = 0; i < n; ++i) {
    if (g_strcmp0(fields[i].key, "MESSAGE") == 0)
      message = static_cast<const char *>(fields[i].value);
  }
  std::fprintf(stderr, "vncgated: %s: %s\n", level_name(level), message ? message : "");
  std::fflush(stderr);
  return G_LOG_WRITER_HANDLED;
}

}  // namespace

void logging_init(bool verbose) {
  g_verbose = verbose;
  g_journal = g_log_writer_is_journald(fileno(stderr));
  g_log_set_writer_func(writer, nullptr, nullptr);
}

void log_record(GLogLevelFlags level, const std::string &message, const LogFields &fields) {
  std::vector<GLogField> f;
  f.reserve(fields.size() + 3);
  f.push_back({"MESSAGE", message.c_str(), -1});
  f.push_back({"SYSLOG_IDENTIFIER", "vncgated", -1});
  f.push_back({"GLIB_DOMAIN", "vncgate", -1});
  for (const auto &[k, v] : fields) f.push_back({k.c_str(), v.c_str(), -1});
  g_log_structured_array(level, f.data(), f.size());
}

std::string log_safe(std::string_view text, size_t max) {
  std::string out;
  size_t i = 0;
  while (i < text.size() && i < max) {
    uint32_t cp = 0;
    size_t len = utf8_sequence_length(text.substr(i), cp);
    char buf[16];
    if (len == 0) {
      // Not UTF-8: the byte itself, visibly, so the line stays valid UTF-8.
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(text[i]));
      out += buf;
      ++i;
      continue;
    }
    if (i + len > max) break;  // never cut a character in two
    if (cp < 0x20 || cp == 0x7f || cp == '"' || cp == '\\') {
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
      out += buf;
    } else if ((cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029) {
      // C1 controls and the line/paragraph separators end lines in some viewers.
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
      out += buf;
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  if (i < text.size()) out += "...";
  return out;
}

}  // namespace vncgate
