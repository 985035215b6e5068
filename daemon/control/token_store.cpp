#include "control/token_store.h"

#include <glib.h>
#include <gnutls/crypto.h>
#include <json-glib/json-glib.h>

#include <memory>

namespace vncgate {

const char *token_check_name(TokenCheck c) {
  switch (c) {
    case TokenCheck::Ok:
      return "ok";
    case TokenCheck::Unknown:
      return "unknown token";
    case TokenCheck::Expired:
      return "expired token";
    case TokenCheck::Used:
      return "token already used";
    case TokenCheck::Revoked:
      return "revoked token";
    case TokenCheck::WrongConsole:
      return "token for another console";
    case TokenCheck::Unavailable:
      return "token store unreachable";
  }
  return "?";
}

std::string sha256_hex(const std::string &data) {
  g_autofree gchar *h = g_compute_checksum_for_string(G_CHECKSUM_SHA256, data.data(),
                                                      static_cast<gssize>(data.size()));
  return h;
}

std::string random_urlsafe(size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  gnutls_rnd(GNUTLS_RND_KEY, buf.data(), buf.size());
  g_autofree gchar *b64 = g_base64_encode(buf.data(), buf.size());
  std::string s;
  for (const char *p = b64; *p; ++p) {
    if (*p == '+')
      s.push_back('-');
    else if (*p == '/')
      s.push_back('_');
    else if (*p != '=')
      s.push_back(*p);
  }
  return s;
}

TokenStore::Minted TokenStore::mint(const std::string &console, const std::string &user,
                                    int64_t ttl, bool one_time, int64_t now) {
  Minted m;
  m.secret = random_urlsafe(24);  // 192 bits
  m.record.id = random_urlsafe(9);
  m.record.hash = sha256_hex(m.secret);
  m.record.console = console;
  m.record.user = user;
  m.record.expires_at = now + ttl;
  m.record.one_time = one_time;
  by_id_[m.record.id] = m.record;
  return m;
}

TokenCheck TokenStore::use(const std::string &secret, const std::string &console, int64_t now,
                           TokenRecord &record) {
  std::string h = sha256_hex(secret);
  for (auto &[id, r] : by_id_) {
    if (r.hash != h) continue;
    record = r;  // names the token in the log, also when refused
    if (r.revoked) return TokenCheck::Revoked;
    if (r.console != console) return TokenCheck::WrongConsole;
    if (r.one_time && (r.used || r.in_use)) return TokenCheck::Used;
    if (!r.used && now >= r.expires_at) return TokenCheck::Expired;
    r.in_use = true;
    record = r;
    return TokenCheck::Ok;
  }
  return TokenCheck::Unknown;
}

bool TokenStore::settle(const std::string &id, bool consumed) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return false;
  it->second.in_use = false;
  if (!consumed || it->second.used) return false;
  it->second.used = true;
  return true;
}

bool TokenStore::revoke(const std::string &id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return false;
  it->second.revoked = true;
  return true;
}

void TokenStore::prune(int64_t now, int64_t grace) {
  for (auto it = by_id_.begin(); it != by_id_.end();) {
    const auto &r = it->second;
    bool dead = r.revoked || (r.one_time && r.used) || (!r.used && now >= r.expires_at);
    if (dead && now >= r.expires_at + grace) {
      it = by_id_.erase(it);
    } else {
      ++it;
    }
  }
}

std::string TokenStore::to_json() const {
  std::unique_ptr<JsonBuilder, decltype(&g_object_unref)> b(json_builder_new(), g_object_unref);
  json_builder_begin_array(b.get());
  for (const auto &[id, r] : by_id_) {
    json_builder_begin_object(b.get());
    json_builder_set_member_name(b.get(), "id");
    json_builder_add_string_value(b.get(), r.id.c_str());
    json_builder_set_member_name(b.get(), "sha256");
    json_builder_add_string_value(b.get(), r.hash.c_str());
    json_builder_set_member_name(b.get(), "console");
    json_builder_add_string_value(b.get(), r.console.c_str());
    json_builder_set_member_name(b.get(), "user");
    json_builder_add_string_value(b.get(), r.user.c_str());
    json_builder_set_member_name(b.get(), "expires_at");
    json_builder_add_int_value(b.get(), r.expires_at);
    json_builder_set_member_name(b.get(), "one_time");
    json_builder_add_boolean_value(b.get(), r.one_time);
    json_builder_set_member_name(b.get(), "used");
    json_builder_add_boolean_value(b.get(), r.used);
    json_builder_set_member_name(b.get(), "revoked");
    json_builder_add_boolean_value(b.get(), r.revoked);
    json_builder_end_object(b.get());
  }
  json_builder_end_array(b.get());
  g_autoptr(JsonNode) root = json_builder_get_root(b.get());
  g_autofree gchar *text = json_to_string(root, TRUE);
  return text;
}

bool TokenStore::from_json(const std::string &text, std::string &error) {
  g_autoptr(JsonParser) p = json_parser_new();
  g_autoptr(GError) err = nullptr;
  if (!json_parser_load_from_data(p, text.c_str(), static_cast<gssize>(text.size()), &err)) {
    error = err->message;
    return false;
  }
  JsonNode *root = json_parser_get_root(p);
  if (!root || !JSON_NODE_HOLDS_ARRAY(root)) {
    error = "not a JSON array";
    return false;
  }
  std::map<std::string, TokenRecord> loaded;
  JsonArray *arr = json_node_get_array(root);
  for (guint i = 0; i < json_array_get_length(arr); ++i) {
    JsonNode *n = json_array_get_element(arr, i);
    if (!JSON_NODE_HOLDS_OBJECT(n)) continue;
    JsonObject *o = json_node_get_object(n);
    TokenRecord r;
    r.id = json_object_get_string_member_with_default(o, "id", "");
    r.hash = json_object_get_string_member_with_default(o, "sha256", "");
    r.console = json_object_get_string_member_with_default(o, "console", "");
    r.user = json_object_get_string_member_with_default(o, "user", "");
    r.expires_at = json_object_get_int_member_with_default(o, "expires_at", 0);
    r.one_time = json_object_get_boolean_member_with_default(o, "one_time", TRUE);
    r.used = json_object_get_boolean_member_with_default(o, "used", FALSE);
    r.revoked = json_object_get_boolean_member_with_default(o, "revoked", FALSE);
    if (r.id.empty() || r.hash.size() != 64 || r.console.empty()) continue;
    loaded[r.id] = r;
  }
  by_id_ = std::move(loaded);
  return true;
}

}  // namespace vncgate
