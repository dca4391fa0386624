// Process stop signals for graceful drain: the first SIGTERM/SIGINT starts
// a drain, a second one exits at once.
#ifndef COMMON_CONFIG_SIGNALS_H_
#define COMMON_CONFIG_SIGNALS_H_

namespace signaling::config {

// Blocks SIGTERM and SIGINT in the calling thread and every thread started
// after it. Call first in main, before any thread exists.
void BlockStopSignals();

// Waits for the first stop signal; from then on a second one ends the
// process at once with status 1.
void WaitForStopSignal();

}  // namespace signaling::config

#endif  // COMMON_CONFIG_SIGNALS_H_
