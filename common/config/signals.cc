// Stop signals through sigwait, so no handler runs in signal context.
#include "common/config/signals.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

namespace signaling::config {
namespace {

sigset_t StopSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

void BlockStopSignals() {
  sigset_t set = StopSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void WaitForStopSignal() {
  sigset_t set = StopSet();
  int signal = 0;
  sigwait(&set, &signal);
  std::thread([set]() mutable {
    int again = 0;
    sigwait(&set, &again);
    _exit(1);
  }).detach();
}

}  // namespace signaling::config
