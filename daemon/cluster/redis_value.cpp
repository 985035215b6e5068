#include "cluster/redis_value.h"

#include <hiredis/hiredis.h>

#include <cstdlib>

namespace vncgate {

long long RedisValue::as_integer(long long fallback) const {
  if (type == Type::Integer) return integer;
  if ((type == Type::String || type == Type::Status) && !str.empty()) {
    char *end = nullptr;
    long long v = std::strtoll(str.c_str(), &end, 10);
    if (end && *end == '\0') return v;
  }
  return fallback;
}

RedisValue RedisValue::from_hiredis(const redisReply &r) {
  RedisValue v;
  switch (r.type) {
    case REDIS_REPLY_STATUS:
      v.type = Type::Status;
      break;
    case REDIS_REPLY_ERROR:
      v.type = Type::Error;
      break;
    case REDIS_REPLY_STRING:
      v.type = Type::String;
      break;
    case REDIS_REPLY_INTEGER:
      v.type = Type::Integer;
      v.integer = r.integer;
      return v;
    case REDIS_REPLY_ARRAY:
      v.type = Type::Array;
      for (size_t i = 0; i < r.elements; ++i) v.elements.push_back(from_hiredis(*r.element[i]));
      return v;
    default:
      return v;  // Nil
  }
  v.str.assign(r.str, r.len);
  return v;
}

}  // namespace vncgate
