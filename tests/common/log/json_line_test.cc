// Tests that every log line is one valid JSON object whatever its message or
// fields carry (common/log/json_line.h, log::Event), parsed with nlohmann.
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/log/log.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "spdlog/sinks/ostream_sink.h"

namespace signaling::log {
namespace {

using nlohmann::json;

// Payloads a hostile client could get into a message.
const std::vector<std::string>& Hostile() {
  static const auto* cases = new std::vector<std::string>{
      "plain",
      "",
      R"(quote " and backslash \ and "msg":"forged")",
      "new\nline and\r\nCRLF",
      std::string("NUL\0inside", 10),
      "\x01\x02\x07\x08\x0b\x0c\x1b[31m\x1f\x7f",
      "tab\there",
      "\xff\xfe invalid bytes",
      "truncated \xe2\x82",
      "overlong \xc0\xaf and \xe0\x80\xaf",
      "surrogate \xed\xa0\x80",
      "above U+10FFFF \xf4\x90\x80\x80",
      "lone continuation \x80\xbf",
      "valid: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
      "line separators \xe2\x80\xa8 \xe2\x80\xa9",
      R"(}{"level":"error"})",
      "{} and {:x} are not format specs here",
  };
  return *cases;
}

class LogLines : public ::testing::Test {
 protected:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> log_ =
      NewLogger("test", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));

  // Every line written so far, each parsed; a failure for any that is not
  // a JSON object with ts, level and component.
  std::vector<json> Lines() {
    log_->flush();
    std::vector<json> lines;
    const std::string text = out_.str();
    EXPECT_TRUE(text.empty() || text.back() == '\n') << "unterminated last line";
    for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
      json j = json::parse(line, nullptr, false);
      EXPECT_TRUE(j.is_object()) << "not a JSON object: " << line;
      if (!j.is_object()) continue;
      EXPECT_TRUE(j["ts"].is_string()) << line;
      EXPECT_TRUE(j["level"].is_string()) << line;
      EXPECT_EQ(j["component"], "test") << line;
      lines.push_back(std::move(j));
    }
    return lines;
  }
};

TEST(JsonEscape, MakesAValidJsonStringOfAnyBytes) {
  for (const std::string& s : Hostile()) {
    const std::string escaped = JsonEscape(s);
    const json j = json::parse("\"" + escaped + "\"", nullptr, false);
    ASSERT_TRUE(j.is_string()) << "not a JSON string: \"" << escaped << "\"";
    for (unsigned char c : escaped) EXPECT_GE(c, 0x20) << "raw control byte in " << escaped;
  }
}

TEST(JsonEscape, KeepsTextAndValidUtf8) {
  const std::string text = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \"q\" \\ \n\t\x01";
  EXPECT_EQ(json::parse("\"" + JsonEscape(text) + "\"").get<std::string>(), text);
  EXPECT_EQ(JsonEscape("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(JsonEscape(std::string("a\0b", 3)), "a\\u0000b");
  EXPECT_EQ(JsonEscape("\x7f"), "\\u007f");
  EXPECT_EQ(JsonEscape("\xe2\x80\xa8"), "\\u2028");
}

TEST(JsonEscape, ReplacesEachInvalidByte) {
  EXPECT_EQ(JsonEscape("a\xff"
                       "b"),
            "a\\ufffdb");
  EXPECT_EQ(JsonEscape("\xc0\xaf"), "\\ufffd\\ufffd");             // overlong
  EXPECT_EQ(JsonEscape("\xed\xa0\x80"), "\\ufffd\\ufffd\\ufffd");  // surrogate
  EXPECT_EQ(JsonEscape("\xf4\x90\x80\x80"), "\\ufffd\\ufffd\\ufffd\\ufffd");
  EXPECT_EQ(JsonEscape("x\xe2\x82"), "x\\ufffd\\ufffd");          // cut short
  EXPECT_EQ(JsonEscape("\xf4\x8f\xbf\xbf"), "\xf4\x8f\xbf\xbf");  // U+10FFFF is fine
}

TEST_F(LogLines, FormatStyleMessagesAreEscapedIntoMsg) {
  for (const std::string& s : Hostile()) log_->info("refused a message: {}", s);
  log_->warn("a warning");
  const std::vector<json> lines = Lines();
  ASSERT_EQ(lines.size(), Hostile().size() + 1) << out_.str();
  for (size_t i = 0; i < Hostile().size(); ++i) {
    EXPECT_EQ(lines[i]["level"], "info");
    ASSERT_TRUE(lines[i]["msg"].is_string()) << lines[i];
    const std::string& s = Hostile()[i];
    const std::string msg = lines[i]["msg"];
    if (JsonEscape(s).find("ufffd") == std::string::npos) {
      // Nothing was replaced: the message reads back as sent.
      EXPECT_EQ(msg, "refused a message: " + s);
    } else {
      EXPECT_NE(msg.find("\xef\xbf\xbd"), std::string::npos) << "no U+FFFD in " << msg;
    }
    EXPECT_FALSE(lines[i].contains("forged"));
    EXPECT_FALSE(lines[i].contains("event"));
  }
  EXPECT_EQ(lines.back()["level"], "warning");
  EXPECT_EQ(lines.back()["msg"], "a warning");
}

TEST_F(LogLines, TimestampIsUtcWithMilliseconds) {
  log_->info("x");
  const auto lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  const std::string ts = lines[0]["ts"];
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime("%Y-%m-%dT%H:%M:%E3SZ", ts, &t, &error)) << ts << ": " << error;
  EXPECT_LT(absl::AbsDuration(absl::Now() - t), absl::Minutes(1)) << ts;
}

TEST_F(LogLines, EventsCarryTypedEscapedFields) {
  const std::string hostile = "\"},\"level\":\"forged\n\xff";
  Event(*log_, spdlog::level::debug, "session.ended",
        {{"session", Redact("s-1")},
         {"cause", hostile},
         {"code", 1000},
         {"in", uint64_t{18446744073709551615u}},
         {"delta", -3},
         {"paired", true},
         {"ratio", 0.5},
         {"duration", absl::Milliseconds(1234)},
         {"key\"x", "v"}});
  const auto lines = Lines();
  ASSERT_EQ(lines.size(), 1u) << out_.str();
  const json& j = lines[0];
  EXPECT_EQ(j["level"], "debug");
  EXPECT_EQ(j["event"], "session.ended");
  EXPECT_EQ(j["session"], Redact("s-1"));
  EXPECT_EQ(j["cause"], "\"},\"level\":\"forged\n\xef\xbf\xbd");
  EXPECT_EQ(j["code"], 1000);
  EXPECT_EQ(j["in"].get<uint64_t>(), 18446744073709551615u);
  EXPECT_EQ(j["delta"], -3);
  EXPECT_EQ(j["paired"], true);
  EXPECT_EQ(j["ratio"], 0.5);
  EXPECT_EQ(j["duration_ms"], 1234);
  EXPECT_EQ(j["key\"x"], "v");
  EXPECT_FALSE(j.contains("msg"));
}

TEST_F(LogLines, EventFieldsInAnyOrderAndNoneAtAll) {
  Event(log_, spdlog::level::info, "a", {});
  Event(log_, spdlog::level::warn, "b\nc", {{"x", ""}});
  const auto lines = Lines();
  ASSERT_EQ(lines.size(), 2u) << out_.str();
  EXPECT_EQ(lines[0]["event"], "a");
  EXPECT_EQ(lines[1]["event"], "b\nc");
  EXPECT_EQ(lines[1]["level"], "warning");
  EXPECT_EQ(lines[1]["x"], "");
}

TEST_F(LogLines, NonFiniteNumbersAreNull) {
  Event(log_, spdlog::level::info, "n", {{"nan", std::nan("")}, {"inf", 1.0 / 0.0}});
  const auto lines = Lines();
  ASSERT_EQ(lines.size(), 1u) << out_.str();
  EXPECT_TRUE(lines[0]["nan"].is_null());
  EXPECT_TRUE(lines[0]["inf"].is_null());
}

TEST_F(LogLines, DisabledLevelsWriteNothing) {
  log_->set_level(spdlog::level::info);
  Event(log_, spdlog::level::debug, "session.opened", {{"conn", 1}});
  log_->debug("hidden {}", 1);
  EXPECT_EQ(out_.str(), "");
  Event(log_, spdlog::level::info, "shown", {});
  EXPECT_EQ(Lines().size(), 1u);
}

TEST_F(LogLines, AMessageCannotPoseAsAnEvent) {
  log_->info(R"("event":"session.ended","code":1000)");
  const auto lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_FALSE(lines[0].contains("event"));
  EXPECT_EQ(lines[0]["msg"], R"("event":"session.ended","code":1000)");
}

}  // namespace
}  // namespace signaling::log
