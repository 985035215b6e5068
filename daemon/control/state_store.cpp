#include "control/state_store.h"

#include <glib.h>
#include <json-glib/json-glib.h>

#include "control/console_json.h"
#include "control/json_fields.h"
#include "logging.h"
#include "rfb/http_connect.h"

namespace vncgate {

bool StateStore::save(const char *name, const std::string &text) {
  if (dir_.empty()) return true;
  g_mkdir_with_parents(dir_.c_str(), 0700);
  std::string path = dir_ + "/" + name;
  g_autoptr(GError) err = nullptr;
  // Written to a temporary file and renamed: a crash never leaves half a file.
  // G_FILE_SET_CONTENTS_CONSISTENT also fsyncs, so a full disk shows here.
  if (!g_file_set_contents_full(path.c_str(), text.data(), static_cast<gssize>(text.size()),
                                G_FILE_SET_CONTENTS_CONSISTENT, 0600, &err)) {
    log_error("cannot save " + path + ": " + err->message);
    return false;
  }
  return true;
}

bool StateStore::read(const char *name, std::string &text) const {
  if (dir_.empty()) return false;
  g_autofree gchar *contents = nullptr;
  gsize len = 0;
  std::string path = dir_ + "/" + name;
  if (!g_file_get_contents(path.c_str(), &contents, &len, nullptr)) return false;
  text.assign(contents, len);
  return true;
}

void StateStore::load() {
  std::string text;
  if (read("tokens.json", text)) {
    std::string error;
    if (!tokens_.from_json(text, error)) log_warning(dir_ + "/tokens.json: ignored: " + error);
  }
  if (read("consoles.json", text)) load_consoles(text, dir_ + "/consoles.json");
}

void StateStore::load_consoles(const std::string &text, const std::string &path) {
  std::string error;
  g_autoptr(JsonNode) root = parse_json(text.data(), text.size(), error);
  if (!root || !JSON_NODE_HOLDS_ARRAY(root)) return;
  JsonArray *a = json_node_get_array(root);
  for (guint i = 0; i < json_array_get_length(a); ++i) {
    JsonNode *n = json_array_get_element(a, i);
    if (!JSON_NODE_HOLDS_OBJECT(n)) continue;
    JsonObject *o = json_node_get_object(n);
    std::string name = json_object_get_string_member_with_default(o, "name", "");
    if (!is_valid_console_name(name)) continue;
    auto con = console_from_json(o, name, error);
    if (!con) {
      log_warning(path + ": console " + name + " ignored: " + error);
      continue;
    }
    consoles_[name] = std::move(*con);
  }
}

bool StateStore::save_tokens(int64_t now) {
  tokens_.prune(now);
  return save("tokens.json", tokens_.to_json());
}

bool StateStore::save_consoles() {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_array(b);
  for (const auto &[name, c] : consoles_) console_to_json(b, c);
  json_builder_end_array(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  return save("consoles.json", json_text(root, true));
}

bool StateStore::put_runtime_console(const ConsoleConfig &c, bool &replaced) {
  replaced = consoles_.count(c.name) > 0;
  consoles_[c.name] = c;
  return save_consoles();
}

bool StateStore::erase_runtime_console(const std::string &name) {
  if (!consoles_.erase(name)) return false;
  save_consoles();
  return true;
}

void StateStore::save_vterms(const std::vector<OpenedVterm> &vterms) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_array(b);
  for (const auto &[name, lpar] : vterms) {
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "console");
    json_builder_add_string_value(b, name.c_str());
    json_builder_set_member_name(b, "lpar_id");
    json_builder_add_int_value(b, lpar);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  save("vterms.json", json_text(root, true));
}

std::vector<OpenedVterm> StateStore::load_vterms() const {
  std::vector<OpenedVterm> out;
  std::string text, error;
  if (!read("vterms.json", text)) return out;
  g_autoptr(JsonNode) root = parse_json(text.data(), text.size(), error);
  if (!root || !JSON_NODE_HOLDS_ARRAY(root)) return out;
  JsonArray *a = json_node_get_array(root);
  for (guint i = 0; i < json_array_get_length(a); ++i) {
    JsonNode *n = json_array_get_element(a, i);
    if (!JSON_NODE_HOLDS_OBJECT(n)) continue;
    JsonObject *o = json_node_get_object(n);
    std::string name = json_object_get_string_member_with_default(o, "console", "");
    gint64 lpar = json_object_get_int_member_with_default(o, "lpar_id", -1);
    if (is_valid_console_name(name) && lpar >= 0 && lpar <= INT32_MAX)
      out.emplace_back(name, static_cast<int>(lpar));
  }
  return out;
}

}  // namespace vncgate
