// ControlServer: the password-guessing limits of the HTTPS Basic auth
// (the same LoginLimits as the RFB handshake: a source that guesses on both
// is counted once; control users are the accounts "control:NAME"), and the
// lockouts endpoints:
//   GET    /v1/lockouts        refused sources and throttled accounts
//   DELETE /v1/lockouts/{key}  forget one (key percent-encoded: a /64 has a '/')
#include <json-glib/json-glib.h>

#include <cstring>

#include "control/control_api.h"
#include "control/control_server.h"
#include "control/json_reply.h"
#include "logging.h"

namespace vncgate {
namespace {

// 429 with Retry-After: the client may try again later, and is told when.
void reply_too_many(SoupServerMessage *msg, unsigned wait, const std::string &what) {
  soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Retry-After",
                               std::to_string(wait).c_str());
  respond_error(msg, kHttpTooManyRequests, what + "; try again in " + std::to_string(wait) + " s");
}

}  // namespace

bool ControlServer::basic_auth_ok(SoupServerMessage *msg, const std::string &user,
                                  const std::string &password) {
  const char *host = soup_server_message_get_remote_host(msg);
  const std::string ip = host ? host : "";
  LoginLimits &limits = host_.login_limits();
  if (unsigned wait = limits.source_wait(ip); wait > 0) {
    log_info("control: refused Basic auth from " + ip + " (user " + log_safe(user) +
             "): too many failed logins from this address, " + std::to_string(wait) + " s left");
    reply_too_many(msg, wait, "too many failed logins from your address");
    return false;
  }
  // Before crypt(3): a throttled account costs no hashing either.
  if (unsigned wait = limits.password_attempt(LoginService::Control, user, ""); wait > 0) {
    log_info("control: refused Basic auth from " + ip + " (user " + log_safe(user) +
             "): password logins of this user are limited, " + std::to_string(wait) +
             " s to its next attempt");
    reply_too_many(msg, wait, "too many login attempts for this user");
    return false;
  }
  if (users_file_check(settings_.users_file, user, password)) return true;
  log_info("control: authentication failed for " + ip + " (user " + log_safe(user) +
           "): wrong user name or password");
  limits.failed(LoginService::Control, ip, user, "", true);
  return false;
}

void ControlApi::get_lockouts(const Request &r) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_array(b);
  for (const auto &item : host_.login_limits().list()) {
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "key");
    json_builder_add_string_value(b, item.key.c_str());
    json_builder_set_member_name(b, "kind");
    json_builder_add_string_value(b, item.kind.c_str());
    json_builder_set_member_name(b, "failures");
    json_builder_add_int_value(b, item.failures);
    json_builder_set_member_name(b, "lockouts");
    json_builder_add_int_value(b, item.lockouts);
    json_builder_set_member_name(b, "until");
    json_builder_add_string_value(b, iso8601_utc(item.until).c_str());
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  respond_json(r.msg, SOUP_STATUS_OK, json_builder_get_root(b));
}

void ControlApi::delete_lockout(const Request &r) {
  g_autofree gchar *raw = g_uri_unescape_string(r.args[0].c_str(), nullptr);
  std::string key = raw ? raw : "";
  if (key.empty() || !g_utf8_validate(key.data(), static_cast<gssize>(key.size()), nullptr))
    return respond_error(r.msg, SOUP_STATUS_BAD_REQUEST, "invalid lockout key");
  if (!host_.login_limits().remove(key))
    return respond_error(r.msg, SOUP_STATUS_NOT_FOUND, "no such lockout");
  soup_server_message_set_status(r.msg, SOUP_STATUS_NO_CONTENT, nullptr);
}

}  // namespace vncgate
