// A Redis reply (RESP2) as a plain value: what a command answered, copied
// out of hiredis so that nothing of hiredis leaks into callers.
#ifndef COMMON_REDIS_REPLY_H_
#define COMMON_REDIS_REPLY_H_

#include <cstdint>
#include <string>
#include <vector>

namespace signaling::redis {

struct Reply {
  enum class Type { kNil, kString, kInteger, kArray, kStatus, kError };
  Type type = Type::kNil;
  std::string text;             // kString, kStatus, kError
  int64_t integer = 0;          // kInteger
  std::vector<Reply> elements;  // kArray

  bool is_error() const { return type == Type::kError; }
  bool is_nil() const { return type == Type::kNil; }
  // The text of a string or status reply, the decimal of an integer, "" else.
  std::string AsString() const;
  // For tests and logs: a compact rendering ("[OK, 7, nil]").
  std::string DebugString() const;
};

}  // namespace signaling::redis

#endif  // COMMON_REDIS_REPLY_H_
