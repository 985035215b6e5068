#include "control/json_fields.h"

namespace vncgate {

bool member_string(JsonObject *o, const char *name, std::string &out, std::string &error) {
  if (!json_object_has_member(o, name)) return true;
  JsonNode *n = json_object_get_member(o, name);
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
    error = std::string("'") + name + "' must be a string";
    return false;
  }
  out = json_node_get_string(n);
  return true;
}

bool member_int(JsonObject *o, const char *name, int64_t &out, std::string &error) {
  if (!json_object_has_member(o, name)) return true;
  JsonNode *n = json_object_get_member(o, name);
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64) {
    error = std::string("'") + name + "' must be an integer";
    return false;
  }
  out = json_node_get_int(n);
  return true;
}

bool member_bool(JsonObject *o, const char *name, bool &out, std::string &error) {
  if (!json_object_has_member(o, name)) return true;
  JsonNode *n = json_object_get_member(o, name);
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN) {
    error = std::string("'") + name + "' must be true or false";
    return false;
  }
  out = json_node_get_boolean(n);
  return true;
}

bool member_strings(JsonObject *o, const char *name, std::vector<std::string> &out,
                    std::string &error) {
  if (!json_object_has_member(o, name)) return true;
  JsonNode *n = json_object_get_member(o, name);
  error = std::string("'") + name + "' must be an array of strings";
  if (!JSON_NODE_HOLDS_ARRAY(n)) return false;
  JsonArray *a = json_node_get_array(n);
  for (guint i = 0; i < json_array_get_length(a); ++i) {
    JsonNode *e = json_array_get_element(a, i);
    if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING) return false;
    out.emplace_back(json_node_get_string(e));
  }
  error.clear();
  return true;
}

JsonNode *parse_json(const char *text, size_t length, std::string &error) {
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) err = nullptr;
  if (!json_parser_load_from_data(parser, text, static_cast<gssize>(length), &err)) {
    error = err->message;
    return nullptr;
  }
  // A document of blanks only has no root: a null node, so callers see
  // "not the kind of value expected" rather than a parse error.
  JsonNode *root = json_parser_get_root(parser);
  return root ? json_node_copy(root) : json_node_new(JSON_NODE_NULL);
}

std::string json_text(JsonNode *node, bool pretty) {
  g_autofree gchar *text = json_to_string(node, pretty);
  return text;
}

}  // namespace vncgate
