// Rendering of replies; see reply.h.
#include "common/redis/reply.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace signaling::redis {

std::string Reply::AsString() const {
  switch (type) {
    case Type::kString:
    case Type::kStatus: return text;
    case Type::kInteger: return absl::StrCat(integer);
    default: return "";
  }
}

std::string Reply::DebugString() const {
  switch (type) {
    case Type::kNil: return "nil";
    case Type::kString:
    case Type::kStatus: return text;
    case Type::kError: return absl::StrCat("(error) ", text);
    case Type::kInteger: return absl::StrCat(integer);
    case Type::kArray:
      return absl::StrCat(
          "[",
          absl::StrJoin(elements, ", ",
                        [](std::string* out, const Reply& r) { out->append(r.DebugString()); }),
          "]");
  }
  return "";
}

}  // namespace signaling::redis
