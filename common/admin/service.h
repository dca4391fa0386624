// What every service's main shares: stop signals, flags and environment,
// the log level, process metrics and the admin HTTP server. Defines the
// flags --admin_address, --admin_port and --log_level.
#ifndef COMMON_ADMIN_SERVICE_H_
#define COMMON_ADMIN_SERVICE_H_

#include <functional>
#include <memory>

#include "common/admin/admin_http.h"

namespace signaling::admin {

// Blocks stop signals, parses flags and SIGNALING_* variables (exiting with
// a message naming a bad setting), sets the log level and registers the
// process metrics in the default registry. Call first in main.
void InitService(int argc, char** argv, const char* usage, unsigned short default_admin_port);

// Starts the admin server on the flags' address and port, serving the
// default registry; exits the process with status 2 if it cannot.
std::unique_ptr<AdminServer> StartAdminOrDie(std::function<bool()> ready);

}  // namespace signaling::admin

#endif  // COMMON_ADMIN_SERVICE_H_
