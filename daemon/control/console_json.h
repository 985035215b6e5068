// The one JSON form of a console definition: the body of
// PUT /v1/consoles/{name} and each entry of the state file consoles.json
// (which also carries "name"):
//   {"lpar_id": 3}  or  {"backend": "host:5901"},
//   optional "force": bool, "allowed_users": ["alice", ...]
#pragma once

#include <json-glib/json-glib.h>

#include <optional>
#include <string>

#include "config.h"

namespace vncgate {

// Reads the definition of console `name` from `o`; nullopt with `error`
// (for the API caller) when a member has the wrong type or the backend is
// not exactly one of lpar_id and backend.
std::optional<ConsoleConfig> console_from_json(JsonObject *o, const std::string &name,
                                               std::string &error);
// Adds the object {"name": ..., definition} to `b`.
void console_to_json(JsonBuilder *b, const ConsoleConfig &c);

}  // namespace vncgate
