// Flags with environment fallbacks; see flags.h.
#include "common/config/flags.h"

#include <cstdio>
#include <cstdlib>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace signaling::config {

std::string EnvVarFor(const std::string& name) {
  return "SIGNALING_" + absl::AsciiStrToUpper(name);
}

void FailSetting(const std::string& name, const std::string& why) {
  std::fprintf(stderr, "bad setting --%s (%s): %s\n", name.c_str(), EnvVarFor(name).c_str(),
               why.c_str());
  std::exit(2);
}

std::vector<char*> ParseFlagsAndEnv(int argc, char** argv, const char* usage) {
  absl::SetProgramUsageMessage(usage);
  for (auto& [name, flag] : absl::GetAllFlags()) {
    // Only this project's flags: they are defined under our source folders.
    const std::string file = flag->Filename();
    if (!absl::StrContains(file, "services/") && !absl::StrContains(file, "gateway/") &&
        !absl::StrContains(file, "common/") && !absl::StrContains(file, "bench/")) {
      continue;
    }
    const std::string var = EnvVarFor(std::string(name));
    if (const char* value = std::getenv(var.c_str()); value != nullptr) {
      std::string error;
      if (!flag->ParseFrom(value, &error)) {
        FailSetting(std::string(name), error);
      }
    }
  }
  return absl::ParseCommandLine(argc, argv);
}

}  // namespace signaling::config
