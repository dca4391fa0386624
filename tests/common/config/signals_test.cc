// common/config/signals.h: the first SIGTERM/SIGINT ends the wait for a
// stop signal (a drain starts), a second one ends the process with 1. Each
// case runs in a child process (gtest death test): signals are per process.
#include "common/config/signals.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <future>

#include "gtest/gtest.h"

namespace signaling::config {
namespace {

// Blocks the calling thread until the process ends.
[[noreturn]] void BlockForever() {
  std::promise<void> never;
  never.get_future().wait();
  std::abort();  // unreachable: nothing sets the promise
}

class SignalsDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(SignalsDeathTest, FirstSigtermEndsTheWaitWithoutKilling) {
  EXPECT_EXIT(
      {
        BlockStopSignals();
        kill(getpid(), SIGTERM);  // pending: blocked
        WaitForStopSignal();
        std::_Exit(42);
      },
      ::testing::ExitedWithCode(42), "");
}

TEST_F(SignalsDeathTest, SigintIsAStopSignalToo) {
  EXPECT_EXIT(
      {
        BlockStopSignals();
        kill(getpid(), SIGINT);
        WaitForStopSignal();
        std::_Exit(42);
      },
      ::testing::ExitedWithCode(42), "");
}

TEST_F(SignalsDeathTest, SecondSignalExitsWithOne) {
  EXPECT_EXIT(
      {
        BlockStopSignals();
        kill(getpid(), SIGTERM);
        WaitForStopSignal();
        kill(getpid(), SIGINT);
        BlockForever();
      },
      ::testing::ExitedWithCode(1), "");
}

TEST_F(SignalsDeathTest, UnblockedSigtermWouldKill) {
  // The control case: without BlockStopSignals the signal is fatal, so the
  // tests above pass only because the signals were blocked and waited for.
  EXPECT_EXIT(
      {
        kill(getpid(), SIGTERM);
        BlockForever();
      },
      ::testing::KilledBySignal(SIGTERM), "");
}

}  // namespace
}  // namespace signaling::config
