// Start-up configuration: every setting is an absl flag that can also be set
// from the environment (SIGNALING_<FLAG_NAME_IN_UPPER_CASE>); the command line
// wins over the environment. A bad value stops start-up with a message that
// names the setting.
#ifndef COMMON_CONFIG_FLAGS_H_
#define COMMON_CONFIG_FLAGS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace signaling::config {

// Applies environment overrides to every flag defined in this program's own
// sources, then parses argv. Exits the process with status 2 and a message
// naming the setting when a value does not parse. Returns positional args.
std::vector<char*> ParseFlagsAndEnv(int argc, char** argv, const char* usage);

// The environment variable that sets flag `name`.
std::string EnvVarFor(const std::string& name);

// Reports a setting whose value parsed but is out of range, then exits(2).
[[noreturn]] void FailSetting(const std::string& name, const std::string& why);

}  // namespace signaling::config

#endif  // COMMON_CONFIG_FLAGS_H_
