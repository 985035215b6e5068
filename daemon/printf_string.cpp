#include "printf_string.h"

#include <cstdarg>

namespace vncgate {

std::string printf_string(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  gchar *text = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  std::string out = text;
  g_free(text);
  return out;
}

}  // namespace vncgate
