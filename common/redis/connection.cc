// The blocking hiredis connection with bounded waits; see connection.h.
#include "common/redis/connection.h"

#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

#include "absl/strings/str_cat.h"
#include "hiredis/hiredis.h"

namespace signaling::redis {
namespace {

redisContext* Ctx(void* context) { return static_cast<redisContext*>(context); }

timeval SocketTimeout(absl::Duration d) {
  if (d < absl::Milliseconds(1)) d = absl::Milliseconds(1);  // 0 would mean "forever"
  return absl::ToTimeval(d);
}

Reply Convert(const redisReply& r) {
  Reply out;
  switch (r.type) {
    case REDIS_REPLY_STRING: out.type = Reply::Type::kString; break;
    case REDIS_REPLY_STATUS: out.type = Reply::Type::kStatus; break;
    case REDIS_REPLY_ERROR: out.type = Reply::Type::kError; break;
    case REDIS_REPLY_INTEGER: out.type = Reply::Type::kInteger; break;
    case REDIS_REPLY_ARRAY: out.type = Reply::Type::kArray; break;
    default: out.type = Reply::Type::kNil;
  }
  if (r.type == REDIS_REPLY_STRING || r.type == REDIS_REPLY_STATUS || r.type == REDIS_REPLY_ERROR) {
    out.text.assign(r.str, r.len);
  }
  out.integer = r.type == REDIS_REPLY_INTEGER ? r.integer : 0;
  if (r.type == REDIS_REPLY_ARRAY) {
    out.elements.reserve(r.elements);
    for (size_t i = 0; i < r.elements; ++i) out.elements.push_back(Convert(*r.element[i]));
  }
  return out;
}

void Append(redisContext* c, const Command& command) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  argv.reserve(command.size());
  lengths.reserve(command.size());
  for (const std::string& arg : command) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  redisAppendCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data());
}

}  // namespace

std::string Endpoint::ToString() const {
  return host.find(':') == std::string::npos ? absl::StrCat(host, ":", port)
                                             : absl::StrCat("[", host, "]:", port);
}

absl::StatusOr<Endpoint> ParseEndpoint(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return absl::InvalidArgumentError(absl::StrCat("not host:port: \"", text, "\""));
  }
  Endpoint endpoint;
  endpoint.host = text.substr(0, colon);
  if (endpoint.host.front() == '[' && endpoint.host.back() == ']') {
    endpoint.host = endpoint.host.substr(1, endpoint.host.size() - 2);
  } else if (endpoint.host.find(':') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("an IPv6 host needs brackets: \"", text, "\""));
  }
  const char* first = text.data() + colon + 1;
  const char* last = text.data() + text.size();
  auto [end, ec] = std::from_chars(first, last, endpoint.port);
  if (ec != std::errc() || end != last || endpoint.port <= 0 || endpoint.port > 65535 ||
      endpoint.host.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("not host:port: \"", text, "\""));
  }
  return endpoint;
}

Connection::Connection(Endpoint endpoint, void* context)
    : endpoint_(std::move(endpoint)), context_(context) {}

Connection::~Connection() {
  if (context_ != nullptr) redisFree(Ctx(context_));
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const Endpoint& endpoint,
                                                             const ConnectionOptions& options,
                                                             absl::Time deadline) {
  const absl::Duration left = std::min(options.connect_timeout, deadline - absl::Now());
  if (left <= absl::ZeroDuration()) {
    return absl::UnavailableError(absl::StrCat("redis ", endpoint.ToString(), ": no time left"));
  }
  redisContext* c =
      redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, SocketTimeout(left));
  if (c == nullptr) return absl::ResourceExhaustedError("cannot allocate a redis context");
  if (c->err != 0) {
    const std::string error = c->errstr;
    redisFree(c);
    return absl::UnavailableError(absl::StrCat("redis ", endpoint.ToString(), ": ", error));
  }
  std::unique_ptr<Connection> connection(new Connection(endpoint, c));
  if (!options.password.empty()) {
    Command auth = {"AUTH"};
    if (!options.user.empty()) auth.push_back(options.user);
    auth.push_back(options.password);
    auto reply = connection->Run(auth, deadline);
    if (!reply.ok()) return reply.status();
    if (reply->is_error()) {
      // The server's text only: never the credentials.
      return absl::PermissionDeniedError(
          absl::StrCat("redis ", endpoint.ToString(), " refused AUTH: ", reply->text));
    }
  }
  return connection;
}

absl::Status Connection::Spend(const char* what, bool timed_out) {
  redisContext* c = Ctx(context_);
  timed_out = timed_out || (c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK));
  const std::string error = timed_out ? "timed out" : c->errstr;
  redisFree(c);
  context_ = nullptr;
  return absl::UnavailableError(
      absl::StrCat("redis ", endpoint_.ToString(), ": ", what, ": ", error));
}

absl::StatusOr<Reply> Connection::Run(const Command& command, absl::Time deadline) {
  auto replies = Pipeline({command}, deadline);
  if (!replies.ok()) return replies.status();
  return std::move(replies->front());
}

absl::StatusOr<std::vector<Reply>> Connection::Pipeline(const std::vector<Command>& commands,
                                                        absl::Time deadline) {
  if (context_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("redis ", endpoint_.ToString(), ": connection lost"));
  }
  redisContext* c = Ctx(context_);
  for (const Command& command : commands) Append(c, command);
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return Spend("reply", true);
    if (redisSetTimeout(c, SocketTimeout(left)) != REDIS_OK) return Spend("timeout", false);
    void* raw = nullptr;
    if (redisGetReply(c, &raw) != REDIS_OK || raw == nullptr) return Spend("reply", false);
    replies.push_back(Convert(*static_cast<redisReply*>(raw)));
    freeReplyObject(raw);
  }
  return replies;
}

}  // namespace signaling::redis
