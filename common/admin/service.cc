// Shared service start-up; see service.h.
#include "common/admin/service.h"

#include <cstdio>
#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/synchronization/mutex.h"
#include "common/config/flags.h"
#include "common/config/signals.h"
#include "common/log/log.h"
#include "common/metrics/metrics.h"

ABSL_FLAG(std::string, admin_address, "127.0.0.1", "admin HTTP address (metrics, health)");
ABSL_FLAG(int, admin_port, 0, "admin HTTP port");
ABSL_FLAG(std::string, log_level, "info", "trace, debug, info, warn, error, off");

namespace signaling::admin {

void InitService(int argc, char** argv, const char* usage, unsigned short default_admin_port) {
  config::BlockStopSignals();
  // Debian builds Abseil without NDEBUG, which leaves Mutex deadlock
  // detection (a lock graph updated on every Lock) on in our release
  // binaries; it showed in the relay profile. Tests and sanitizer builds
  // keep it: only the service mains come through here.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::SetFlag(&FLAGS_admin_port, default_admin_port);
  config::ParseFlagsAndEnv(argc, argv, usage);
  if (!log::SetLevel(absl::GetFlag(FLAGS_log_level)))
    config::FailSetting("log_level", "unknown level");
  const int port = absl::GetFlag(FLAGS_admin_port);
  if (port < 0 || port > 65535) config::FailSetting("admin_port", "must be 0..65535");
  (void)metrics::AddProcessMetrics(metrics::DefaultRegistry());
}

std::unique_ptr<AdminServer> StartAdminOrDie(std::function<bool()> ready) {
  AdminOptions options;
  options.address = absl::GetFlag(FLAGS_admin_address);
  options.port = static_cast<unsigned short>(absl::GetFlag(FLAGS_admin_port));
  options.registry = &metrics::DefaultRegistry();
  options.ready = std::move(ready);
  auto server = AdminServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "admin server: %s\n", std::string(server.status().message()).c_str());
    std::exit(2);
  }
  return *std::move(server);
}

}  // namespace signaling::admin
