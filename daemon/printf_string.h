// printf into a std::string: for translated messages with values filled in
// (the format string comes from gettext, so no std::format).
#pragma once

#include <glib.h>

#include <string>

namespace vncgate {

std::string printf_string(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

}  // namespace vncgate
