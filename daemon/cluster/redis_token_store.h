// Link tokens in the cluster's Redis: the same records as TokenStore
// (token_store.h), hashed the same way (the secret is never sent), so a
// link minted on one node opens a console through any node, once.
//
// Keys: "vncgate:token:<id>" is a hash with the record's fields and
// "vncgate:token-hash:<sha256>" names the id; both expire an hour after the
// token does (a late use is told "expired", as with the file store), and a
// reusable token's keys are kept once it has been used. Reserve, consume,
// free, mint and revoke are each one Lua script (EVAL): Redis runs a
// script alone, so nodes racing on a one-time token admit exactly one
// login. A reservation is a lease (in_use_until): a node that dies
// mid-login frees the token when its lease runs out.
//
// Redis down: every operation answers "unavailable" (TokenCheck::Unavailable,
// not saved); token logins fail closed.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "cluster/redis_client.h"
#include "control/token_store.h"

namespace vncgate {

// Pure: the use script's reply → the check and the record (unit tested).
TokenCheck parse_token_use_reply(const RedisValue &reply, TokenRecord &record);

class RedisTokenStore {
 public:
  using UseFn = std::function<void(TokenCheck, const TokenRecord &)>;
  using DoneFn = std::function<void(bool ok)>;
  // `lease`: seconds a reservation holds when its node never settles it.
  RedisTokenStore(RedisClient &redis, int64_t lease) : redis_(redis), lease_(lease) {}

  void use(const std::string &secret, const std::string &console, int64_t now, UseFn done);
  // `done(false)`: not recorded (Redis unreachable); may be null.
  void settle(const std::string &id, bool consumed, DoneFn done);
  // `done(false)`: nothing stored, the link must not be handed out.
  void mint(const TokenRecord &record, int64_t now, DoneFn done);
  enum class RevokeResult { Revoked, Unknown, Unavailable };
  void revoke(const std::string &id, std::function<void(RevokeResult)> done);

 private:
  RedisClient &redis_;
  int64_t lease_;
};

}  // namespace vncgate
