// common/config/flags.h: every flag of the project's sources can be set
// from SIGNALING_<FLAG>, the command line wins, and a bad value stops
// start-up with a message naming both spellings of the setting.
#include "common/config/flags.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "gtest/gtest.h"

// Defined under tests/common/: the project's own flags, as far as
// ParseFlagsAndEnv can tell.
ABSL_FLAG(int, cfg_test_port, 8080, "a number");
ABSL_FLAG(std::string, cfg_test_name, "default", "a string");
ABSL_FLAG(bool, cfg_test_enabled, false, "a switch");
ABSL_FLAG(double, cfg_test_ratio, 0.5, "a fraction");

namespace signaling::config {
namespace {

// Sets an environment variable for one test.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
    setenv(name_.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() { unsetenv(name_.c_str()); }

 private:
  std::string name_;
};

// Runs ParseFlagsAndEnv over `args` (argv[0] added); returns the
// positional arguments after argv[0].
std::vector<std::string> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "config_test");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> rest =
      ParseFlagsAndEnv(static_cast<int>(args.size()), argv.data(), "config_test usage");
  std::vector<std::string> out;
  for (size_t i = 1; i < rest.size(); ++i) out.emplace_back(rest[i]);
  return out;
}

// ParseFlagsAndEnv runs once per process (Abseil takes the usage message
// once), so each case runs it in a child process: `body` returns "" when
// every expectation held, else what did not; the child's exit status and
// stderr carry the verdict back.
template <typename Body>
void ExpectInChild(Body body) {
  EXPECT_EXIT(
      {
        const std::string failure = body();
        if (!failure.empty()) std::fprintf(stderr, "FAILED: %s\n", failure.c_str());
        std::_Exit(failure.empty() ? 0 : 3);
      },
      ::testing::ExitedWithCode(0), "");
}

template <typename T>
std::string Expect(const char* what, const T& actual, const T& expected) {
  if (actual == expected) return "";
  std::ostringstream out;
  out << what << " is " << actual << ", expected " << expected << "; ";
  return out.str();
}

TEST(FlagsTest, EnvVarIsTheUpperCaseNameWithThePrefix) {
  EXPECT_EQ(EnvVarFor("max_connections"), "SIGNALING_MAX_CONNECTIONS");
  EXPECT_EQ(EnvVarFor("port"), "SIGNALING_PORT");
  EXPECT_EQ(EnvVarFor("cfg_test_port"), "SIGNALING_CFG_TEST_PORT");
}

TEST(FlagsTest, DefaultsStandWithoutEnvOrFlags) {
  ExpectInChild([] {
    Parse({});
    return Expect("port", absl::GetFlag(FLAGS_cfg_test_port), 8080) +
           Expect("name", absl::GetFlag(FLAGS_cfg_test_name), std::string("default")) +
           Expect("enabled", absl::GetFlag(FLAGS_cfg_test_enabled), false);
  });
}

TEST(FlagsTest, EnvironmentSetsEveryType) {
  ExpectInChild([] {
    ScopedEnv port("SIGNALING_CFG_TEST_PORT", "9000");
    ScopedEnv name("SIGNALING_CFG_TEST_NAME", "from env");
    ScopedEnv enabled("SIGNALING_CFG_TEST_ENABLED", "true");
    ScopedEnv ratio("SIGNALING_CFG_TEST_RATIO", "0.25");
    Parse({});
    return Expect("port", absl::GetFlag(FLAGS_cfg_test_port), 9000) +
           Expect("name", absl::GetFlag(FLAGS_cfg_test_name), std::string("from env")) +
           Expect("enabled", absl::GetFlag(FLAGS_cfg_test_enabled), true) +
           Expect("ratio", absl::GetFlag(FLAGS_cfg_test_ratio), 0.25);
  });
}

TEST(FlagsTest, LowerCaseOrUnprefixedVariablesAreIgnored) {
  ExpectInChild([] {
    ScopedEnv lower("signaling_cfg_test_port", "1");
    ScopedEnv bare("CFG_TEST_PORT", "2");
    Parse({});
    return Expect("port", absl::GetFlag(FLAGS_cfg_test_port), 8080);
  });
}

TEST(FlagsTest, CommandLineWinsOverEnvironment) {
  ExpectInChild([] {
    ScopedEnv port("SIGNALING_CFG_TEST_PORT", "9000");
    ScopedEnv name("SIGNALING_CFG_TEST_NAME", "from env");
    Parse({"--cfg_test_port=7000"});
    // A flag not on the command line still takes the environment's value.
    return Expect("port", absl::GetFlag(FLAGS_cfg_test_port), 7000) +
           Expect("name", absl::GetFlag(FLAGS_cfg_test_name), std::string("from env"));
  });
}

TEST(FlagsTest, CommandLineWinsEvenWithTheDefaultValue) {
  ExpectInChild([] {
    ScopedEnv port("SIGNALING_CFG_TEST_PORT", "9000");
    ScopedEnv enabled("SIGNALING_CFG_TEST_ENABLED", "true");
    Parse({"--cfg_test_port", "8080", "--nocfg_test_enabled"});
    return Expect("port", absl::GetFlag(FLAGS_cfg_test_port), 8080) +
           Expect("enabled", absl::GetFlag(FLAGS_cfg_test_enabled), false);
  });
}

TEST(FlagsTest, PositionalArgumentsAreReturned) {
  ExpectInChild([] {
    const std::vector<std::string> rest = Parse({"one", "--cfg_test_port=1", "two"});
    return Expect("positional count", rest.size(), size_t{2}) +
           (rest.size() == 2 ? Expect("first", rest[0], std::string("one")) +
                                   Expect("second", rest[1], std::string("two"))
                             : std::string()) +
           Expect("port", absl::GetFlag(FLAGS_cfg_test_port), 1);
  });
}

TEST(FlagsTest, FlagsOutsideTheProjectIgnoreTheEnvironment) {
  // --undefok is Abseil's own (absl/flags/parse.cc): not a setting of ours.
  ExpectInChild([] {
    const absl::CommandLineFlag* undefok = absl::FindCommandLineFlag("undefok");
    if (undefok == nullptr) return std::string("no --undefok flag");
    const std::string before = undefok->CurrentValue();
    ScopedEnv env("SIGNALING_UNDEFOK", "cfg_test_nonexistent");
    Parse({});
    return Expect("undefok", undefok->CurrentValue(), before);
  });
}

TEST(FlagsDeathTest, BadEnvironmentValueNamesTheSetting) {
  EXPECT_EXIT(
      {
        ScopedEnv port("SIGNALING_CFG_TEST_PORT", "not-a-number");
        Parse({});
      },
      ::testing::ExitedWithCode(2),
      "bad setting --cfg_test_port \\(SIGNALING_CFG_TEST_PORT\\): .+");
}

TEST(FlagsDeathTest, BadBooleanInTheEnvironmentNamesTheSetting) {
  EXPECT_EXIT(
      {
        ScopedEnv enabled("SIGNALING_CFG_TEST_ENABLED", "maybe");
        Parse({});
      },
      ::testing::ExitedWithCode(2), "bad setting --cfg_test_enabled \\(SIGNALING_CFG_TEST_ENABLED\\)");
}

TEST(FlagsDeathTest, BadEnvironmentValueFailsEvenWhenTheFlagIsGiven) {
  // The environment is read first; a broken value is reported, not hidden.
  EXPECT_EXIT(
      {
        ScopedEnv port("SIGNALING_CFG_TEST_PORT", "12x");
        Parse({"--cfg_test_port=1"});
      },
      ::testing::ExitedWithCode(2), "SIGNALING_CFG_TEST_PORT");
}

TEST(FlagsDeathTest, FailSettingNamesTheSettingAndTheReason) {
  EXPECT_EXIT(FailSetting("max_connections", "must be positive"), ::testing::ExitedWithCode(2),
              "bad setting --max_connections \\(SIGNALING_MAX_CONNECTIONS\\): must be positive");
}

}  // namespace
}  // namespace signaling::config
