// Console link tokens: at least 128 random bits, URL-safe, stored only as a
// SHA-256 hash, bound to one console and optionally to one SASL user,
// valid for `ttl` seconds until first use, single use by default.
// Pure bookkeeping: the clock is passed in, persistence is JSON text.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vncgate {

struct TokenRecord {
  std::string id;    // public handle for revocation (not the secret)
  std::string hash;  // hex SHA-256 of the secret
  std::string console;
  std::string user;        // empty = any authenticated user
  int64_t expires_at = 0;  // unix seconds; time to first use
  bool one_time = true;
  bool used = false;
  bool revoked = false;
  bool in_use = false;  // a login with it is under way (not persisted)
};

// Unavailable: the shared store ([cluster] Redis) could not be asked.
enum class TokenCheck { Ok, Unknown, Expired, Used, Revoked, WrongConsole, Unavailable };
const char *token_check_name(TokenCheck c);

class TokenStore {
 public:
  struct Minted {
    std::string secret;  // goes into the link, never stored
    TokenRecord record;
  };
  Minted mint(const std::string &console, const std::string &user, int64_t ttl, bool one_time,
              int64_t now);

  // Checks a presented secret for `console` and reserves it for one login:
  // settle() then consumes it (login succeeded) or frees it again (login
  // failed), so a mistyped password does not burn a one-time link and two
  // logins can never share it. `record` names the token, also on refusal.
  TokenCheck use(const std::string &secret, const std::string &console, int64_t now,
                 TokenRecord &record);
  // Returns true when the persistent state changed.
  bool settle(const std::string &id, bool consumed);

  // Marks revoked; false when unknown.
  bool revoke(const std::string &id);
  // Drops a token as if it had never been minted (its minting failed).
  void forget(const std::string &id) { by_id_.erase(id); }
  // Forgets tokens that can never be used again (expired, used, revoked)
  // once `grace` seconds past expiry.
  void prune(int64_t now, int64_t grace = 3600);

  const std::map<std::string, TokenRecord> &records() const { return by_id_; }
  std::string to_json() const;
  bool from_json(const std::string &text, std::string &error);

 private:
  std::map<std::string, TokenRecord> by_id_;
};

std::string sha256_hex(const std::string &data);
std::string random_urlsafe(size_t bytes);

}  // namespace vncgate
