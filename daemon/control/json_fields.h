// Typed readers of JSON object members, for request bodies and state files:
// each accepts an absent member (keeping `out`) and refuses a member of the
// wrong type with a message naming it.
#pragma once

#include <json-glib/json-glib.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vncgate {

bool member_string(JsonObject *o, const char *name, std::string &out, std::string &error);
bool member_int(JsonObject *o, const char *name, int64_t &out, std::string &error);
bool member_bool(JsonObject *o, const char *name, bool &out, std::string &error);
// Appends the strings of an array member to `out`.
bool member_strings(JsonObject *o, const char *name, std::vector<std::string> &out,
                    std::string &error);

// Parses `text` as JSON; the root node (owned) or null with `error`.
JsonNode *parse_json(const char *text, size_t length, std::string &error);
// Pretty-printed (state files) or compact JSON text of `node`.
std::string json_text(JsonNode *node, bool pretty);

}  // namespace vncgate
