// The JSON-lines check of service logs; see log_lines.h.
#include "tests/integration/log_lines.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace signaling::testing {
namespace {

// Why `line` is not a log line, or "" when it is one.
std::string Problem(std::string_view line) {
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded()) return "not JSON";
  if (!j.is_object()) return "not a JSON object";
  for (const char* key : {"ts", "level", "component"}) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return absl::StrCat("no string \"", key, "\"");
  }
  return "";
}

}  // namespace

std::vector<std::string> BadLogLines(std::string_view text, size_t max) {
  std::vector<std::string> bad;
  size_t number = 0;
  while (!text.empty() && bad.size() < max) {
    ++number;
    const size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    std::string why = end == std::string_view::npos ? "unterminated" : Problem(line);
    if (!why.empty()) {
      std::string shown(line.substr(0, 300));
      bad.push_back(absl::StrCat("line ", number, ": ", why, ": ", shown));
    }
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return bad;
}

void ExpectJsonLogLines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return;
  std::ostringstream text;
  text << in.rdbuf();
  for (const std::string& bad : BadLogLines(text.str())) {
    ADD_FAILURE() << path << ": not a JSON log line: " << bad;
  }
}

}  // namespace signaling::testing
