#include "control/console_json.h"

#include <cstdint>

#include "control/json_fields.h"

namespace vncgate {

std::optional<ConsoleConfig> console_from_json(JsonObject *o, const std::string &name,
                                               std::string &error) {
  ConsoleConfig con;
  con.name = name;
  std::string backend;
  int64_t lpar = -1;
  if (!member_int(o, "lpar_id", lpar, error) || !member_string(o, "backend", backend, error) ||
      !member_bool(o, "force", con.force, error) ||
      !member_strings(o, "allowed_users", con.allowed_users, error))
    return std::nullopt;
  if ((lpar >= 0) == !backend.empty()) {
    error = "give exactly one of 'lpar_id' and 'backend'";
    return std::nullopt;
  }
  if (lpar >= 0) {
    if (lpar > INT32_MAX) {
      error = "'lpar_id' out of range";
      return std::nullopt;
    }
    con.lpar_id = static_cast<int>(lpar);
  } else {
    std::string why;
    con.backend = parse_host_port(backend, true, why);
    if (!con.backend) {
      error = "'backend': " + why;
      return std::nullopt;
    }
  }
  return con;
}

void console_to_json(JsonBuilder *b, const ConsoleConfig &c) {
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "name");
  json_builder_add_string_value(b, c.name.c_str());
  if (c.lpar_id) {
    json_builder_set_member_name(b, "lpar_id");
    json_builder_add_int_value(b, *c.lpar_id);
  } else {
    json_builder_set_member_name(b, "backend");
    json_builder_add_string_value(b, c.backend->to_string().c_str());
  }
  json_builder_set_member_name(b, "force");
  json_builder_add_boolean_value(b, c.force);
  json_builder_set_member_name(b, "allowed_users");
  json_builder_begin_array(b);
  for (const auto &u : c.allowed_users) json_builder_add_string_value(b, u.c_str());
  json_builder_end_array(b);
  json_builder_end_object(b);
}

}  // namespace vncgate
