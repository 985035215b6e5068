// A Redis reply as a plain value: hiredis' reply is copied out at once, so
// nothing downstream holds hiredis memory or sees its types.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

struct redisReply;

namespace vncgate {

struct RedisValue {
  enum class Type { Nil, Status, Error, Integer, String, Array };
  Type type = Type::Nil;
  long long integer = 0;
  std::string str;  // Status, Error, String
  std::vector<RedisValue> elements;

  bool is_error() const { return type == Type::Error; }
  bool is_nil() const { return type == Type::Nil; }
  // An integer reply, or a string/status holding one ("42"); `fallback` otherwise.
  long long as_integer(long long fallback = 0) const;
  static RedisValue from_hiredis(const redisReply &r);
};

}  // namespace vncgate
