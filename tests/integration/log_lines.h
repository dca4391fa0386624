// The check that the services' logs are JSON lines: every line a service
// binary writes (stdout and stderr, captured in its log file by Child) must
// be a JSON object with string "ts", "level" and "component".
#ifndef TESTS_INTEGRATION_LOG_LINES_H_
#define TESTS_INTEGRATION_LOG_LINES_H_

#include <string>
#include <string_view>
#include <vector>

namespace signaling::testing {

// One description ("line N: why: text") per line of `text` that is not a
// JSON object with string ts, level and component, the first `max` of them.
// An unterminated last line counts too (a line cut short).
std::vector<std::string> BadLogLines(std::string_view text, size_t max = 10);

// A test failure naming each bad line of the log file at `path` (a file that
// cannot be read is not a failure: the service may never have started).
void ExpectJsonLogLines(const std::string& path);

}  // namespace signaling::testing

#endif  // TESTS_INTEGRATION_LOG_LINES_H_
