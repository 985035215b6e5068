#include "control/json_reply.h"

#include "text/clean_utf8.h"

namespace vncgate {

void respond_json(SoupServerMessage *msg, unsigned status, JsonNode *node) {
  g_autoptr(JsonNode) owned = node;
  g_autofree gchar *text = json_to_string(node, FALSE);
  // Strings in replies carry what clients and backends sent (user names,
  // console names, certificate subjects, lockout keys); json-glib copies
  // their bytes as they are. Clean once here, for every endpoint.
  std::string clean = clean_utf8(text, CleanUtf8::JsonDocument);
  soup_server_message_set_status(msg, status, nullptr);
  soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_COPY, clean.data(),
                                   clean.size());
}

void respond_error(SoupServerMessage *msg, unsigned status, const std::string &error) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "error");
  json_builder_add_string_value(b, error.c_str());
  json_builder_end_object(b);
  respond_json(msg, status, json_builder_get_root(b));
}

std::string iso8601_utc(int64_t unix_seconds) {
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(unix_seconds);
  g_autofree gchar *s = g_date_time_format_iso8601(t);
  return s;
}

}  // namespace vncgate
