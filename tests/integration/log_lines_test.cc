// Tests of the JSON-lines check that every service log goes through.
#include "tests/integration/log_lines.h"

#include "gtest/gtest.h"

namespace signaling::testing {
namespace {

TEST(BadLogLines, AcceptsJsonLogLines) {
  EXPECT_TRUE(BadLogLines("").empty());
  EXPECT_TRUE(BadLogLines(R"({"ts":"t","level":"info","component":"gateway","msg":"x"})"
                          "\n"
                          R"({"ts":"t","level":"debug","component":"matching","event":"e"})"
                          "\n")
                  .empty());
}

TEST(BadLogLines, NamesEveryOtherLine) {
  const auto bad = BadLogLines(
      "E1202 07:00:00.000 grpc says hello\n"  // gRPC's own format
      R"({"ts":"t","level":"info","component":"g","msg":"a"b"})"
      "\n"  // "%v" broken by a quote
      R"({"level":"info","component":"g"})"
      "\n"  // no ts
      R"({"ts":"t","level":1,"component":"g"})"
      "\n"  // level not a string
      "[1,2]\n"
      "\n"
      R"({"ts":"t","level":"info","component":"g"})");  // cut short: no newline
  ASSERT_EQ(bad.size(), 7u);
  EXPECT_EQ(bad[0].rfind("line 1: not JSON", 0), 0u) << bad[0];
  EXPECT_EQ(bad[1].rfind("line 2: not JSON", 0), 0u) << bad[1];
  EXPECT_EQ(bad[2].rfind("line 3: no string \"ts\"", 0), 0u) << bad[2];
  EXPECT_EQ(bad[3].rfind("line 4: no string \"level\"", 0), 0u) << bad[3];
  EXPECT_EQ(bad[4].rfind("line 5: not a JSON object", 0), 0u) << bad[4];
  EXPECT_EQ(bad[5].rfind("line 6: not JSON", 0), 0u) << bad[5];
  EXPECT_EQ(bad[6].rfind("line 7: unterminated", 0), 0u) << bad[6];
}

TEST(BadLogLines, StopsAtMax) { EXPECT_EQ(BadLogLines("a\nb\nc\nd\n", 2).size(), 2u); }

}  // namespace
}  // namespace signaling::testing
