#include "cluster/redis_token_store.h"

#include "logging.h"

namespace vncgate {
namespace {

constexpr int64_t kGrace = 3600;  // as TokenStore::prune: "expired" rather than "unknown"

// KEYS[1] the hash's key; ARGV: console, now, lease.
// Reply: {check, id, console, user, expires_at, one_time}.
const char *kUseScript = R"lua(
local id = redis.call('GET', KEYS[1])
if not id then return {'unknown'} end
local k = 'vncgate:token:' .. id
local t = redis.call('HMGET', k, 'console', 'user', 'expires_at', 'one_time', 'used', 'revoked',
                     'in_use_until')
if not t[1] then return {'unknown'} end
local function answer(check)
  return {check, id, t[1], t[2] or '', t[3] or '0', t[4] or '1'}
end
local now = tonumber(ARGV[2])
if t[6] == '1' then return answer('revoked') end
if t[1] ~= ARGV[1] then return answer('wrong-console') end
if t[4] == '1' and (t[5] == '1' or tonumber(t[7] or '0') > now) then return answer('used') end
if t[5] ~= '1' and now >= tonumber(t[3]) then return answer('expired') end
if t[4] == '1' then redis.call('HSET', k, 'in_use_until', now + tonumber(ARGV[3])) end
return answer('ok')
)lua";

// ARGV: id, consumed (1/0). Reply 1 when the token exists.
const char *kSettleScript = R"lua(
local k = 'vncgate:token:' .. ARGV[1]
local t = redis.call('HMGET', k, 'sha256', 'one_time', 'used')
if not t[1] then return 0 end
redis.call('HDEL', k, 'in_use_until')
if ARGV[2] == '1' and t[3] ~= '1' then
  redis.call('HSET', k, 'used', '1')
  if t[2] ~= '1' then
    redis.call('PERSIST', k)
    redis.call('PERSIST', 'vncgate:token-hash:' .. t[1])
  end
end
return 1
)lua";

// KEYS[1] record, KEYS[2] hash index; ARGV: ttl then field/value pairs.
const char *kMintScript = R"lua(
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local ttl = tonumber(ARGV[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('SET', KEYS[2], ARGV[3], 'EX', ttl)
return 1
)lua";

// KEYS[1] record. Reply 1 revoked, 0 unknown.
const char *kRevokeScript = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'revoked', '1')
return 1
)lua";

std::string record_key(const std::string &id) {
  return "vncgate:token:" + id;
}
std::string hash_key(const std::string &hash) {
  return "vncgate:token-hash:" + hash;
}

}  // namespace

TokenCheck parse_token_use_reply(const RedisValue &reply, TokenRecord &record) {
  if (reply.type != RedisValue::Type::Array || reply.elements.empty())
    return TokenCheck::Unavailable;
  const auto &e = reply.elements;
  const std::string &check = e[0].str;
  if (check == "unknown") return TokenCheck::Unknown;
  if (e.size() < 6) return TokenCheck::Unavailable;
  record.id = e[1].str;
  record.console = e[2].str;
  record.user = e[3].str;
  record.expires_at = e[4].as_integer();
  record.one_time = e[5].str != "0";
  if (check == "ok") return TokenCheck::Ok;
  if (check == "revoked") return TokenCheck::Revoked;
  if (check == "wrong-console") return TokenCheck::WrongConsole;
  if (check == "used") return TokenCheck::Used;
  if (check == "expired") return TokenCheck::Expired;
  return TokenCheck::Unavailable;
}

void RedisTokenStore::use(const std::string &secret, const std::string &console, int64_t now,
                          UseFn done) {
  redis_.command({"EVAL", kUseScript, "1", hash_key(sha256_hex(secret)), console,
                  std::to_string(now), std::to_string(lease_)},
                 [done = std::move(done)](const RedisValue *reply) {
                   TokenRecord record;
                   TokenCheck check = reply && !reply->is_error()
                                          ? parse_token_use_reply(*reply, record)
                                          : TokenCheck::Unavailable;
                   if (reply && reply->is_error())
                     log_error("cluster: the token check failed in Redis: " + log_safe(reply->str));
                   done(check, record);
                 });
}

void RedisTokenStore::settle(const std::string &id, bool consumed, DoneFn done) {
  redis_.command({"EVAL", kSettleScript, "0", id, consumed ? "1" : "0"},
                 [done = std::move(done)](const RedisValue *reply) {
                   if (done) done(reply && !reply->is_error());
                 });
}

void RedisTokenStore::mint(const TokenRecord &r, int64_t now, DoneFn done) {
  int64_t ttl = std::max<int64_t>(1, r.expires_at - now) + kGrace;
  redis_.command({"EVAL",
                  kMintScript,
                  "2",
                  record_key(r.id),
                  hash_key(r.hash),
                  std::to_string(ttl),
                  "id",
                  r.id,
                  "sha256",
                  r.hash,
                  "console",
                  r.console,
                  "user",
                  r.user,
                  "expires_at",
                  std::to_string(r.expires_at),
                  "one_time",
                  r.one_time ? "1" : "0",
                  "used",
                  "0",
                  "revoked",
                  "0"},
                 [done = std::move(done)](const RedisValue *reply) {
                   done(reply && !reply->is_error() && reply->as_integer() == 1);
                 });
}

void RedisTokenStore::revoke(const std::string &id, std::function<void(RevokeResult)> done) {
  redis_.command({"EVAL", kRevokeScript, "1", record_key(id)},
                 [done = std::move(done)](const RedisValue *reply) {
                   if (!reply || reply->is_error()) return done(RevokeResult::Unavailable);
                   done(reply->as_integer() == 1 ? RevokeResult::Revoked : RevokeResult::Unknown);
                 });
}

}  // namespace vncgate
