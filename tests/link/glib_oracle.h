// The pre-rewrite GLib link parser, as a test oracle (see glib_oracle.cpp).
#pragma once

#include "link/console_link.h"

namespace vncgate::glib_oracle {

LinkParse parse_console_link(std::string_view text);
LinkParse parse_vv_file(std::string_view contents);
bool is_valid_link_host(std::string_view host);
bool is_valid_token(std::string_view token);
std::string identity(const ConsoleLink &link);
std::string to_url(const ConsoleLink &link);

}  // namespace vncgate::glib_oracle
