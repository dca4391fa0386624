// The Redis client's thread, reconnects and Sentinel look-up; see client.h.
#include "common/redis/client.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace signaling::redis {
namespace {

// A reply that says this node no longer takes writes as the primary.
bool LostPrimary(const Reply& reply) {
  if (reply.is_error()) {
    return absl::StartsWith(reply.text, "READONLY") || absl::StartsWith(reply.text, "MASTERDOWN");
  }
  for (const Reply& element : reply.elements) {
    if (LostPrimary(element)) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Client>> Client::Create(ClientOptions options) {
  if (options.address.empty() == options.sentinels.empty()) {
    return absl::InvalidArgumentError("redis: give either an address or sentinels");
  }
  std::vector<Endpoint> endpoints;
  const std::vector<std::string> texts =
      options.address.empty() ? options.sentinels : std::vector<std::string>{options.address};
  for (const std::string& text : texts) {
    auto endpoint = ParseEndpoint(text);
    if (!endpoint.ok()) return endpoint.status();
    endpoints.push_back(*std::move(endpoint));
  }
  return std::unique_ptr<Client>(new Client(std::move(options), std::move(endpoints)));
}

Client::Client(ClientOptions options, std::vector<Endpoint> endpoints)
    : options_(std::move(options)), endpoints_(std::move(endpoints)) {
  thread_ = std::thread([this] { Loop(); });
}

Client::~Client() { Stop(); }

void Client::Submit(std::vector<Command> commands, absl::Time deadline, Callback done) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_ && queue_.size() < options_.max_queued) {
      queue_.push_back({std::move(commands), deadline, std::move(done), absl::Now()});
      return;
    }
  }
  done(absl::ResourceExhaustedError("redis: request queue full or client stopped"));
}

void Client::SetConnectListener(std::function<void(const Endpoint&)> listener) {
  absl::MutexLock lock(&mu_);
  listener_ = std::move(listener);
}

bool Client::connected() const {
  absl::MutexLock lock(&mu_);
  return connected_;
}

size_t Client::queued() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

void Client::Stop() {
  std::deque<Request> cancelled;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  {
    absl::MutexLock lock(&mu_);
    cancelled.swap(queue_);
  }
  for (Request& request : cancelled) request.done(absl::CancelledError("redis client stopped"));
}

void Client::Loop() {
  for (;;) {
    Request request;
    {
      absl::MutexLock lock(&mu_);
      // Wake up now and then even when idle, to see stopping_.
      mu_.AwaitWithTimeout(absl::Condition(
                               +[](Client* c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c->mu_) {
                                 return c->stopping_ || !c->queue_.empty();
                               },
                               this),
                           absl::Milliseconds(100));
      if (stopping_) return;
    }
    CheckPrimary();
    {
      absl::MutexLock lock(&mu_);
      if (queue_.empty()) continue;
      request = std::move(queue_.front());
      queue_.pop_front();
    }
    if (absl::Now() >= request.deadline) {
      Answer(request, absl::DeadlineExceededError("redis: deadline passed while queued"));
      continue;
    }
    absl::Status why;
    Connection* connection = Ensure(request.deadline, &why);
    if (connection == nullptr) {
      Answer(request, why);
      continue;
    }
    auto replies = connection->Pipeline(request.commands, request.deadline);
    bool lost = !replies.ok();
    if (replies.ok()) {
      for (const Reply& reply : *replies) lost = lost || LostPrimary(reply);
    }
    if (lost) {
      connection_.reset();
      retry_at_ = absl::Now() + options_.reconnect_backoff;
      absl::MutexLock lock(&mu_);
      connected_ = false;
    }
    Answer(request, std::move(replies));
  }
}

void Client::Answer(Request& request, absl::StatusOr<Replies> replies) {
  if (options_.observe) options_.observe(absl::Now() - request.queued_at, replies.ok());
  request.done(std::move(replies));
}

Connection* Client::Ensure(absl::Time deadline, absl::Status* why) {
  if (connection_ != nullptr && connection_->ok()) return connection_.get();
  connection_.reset();
  {
    absl::MutexLock lock(&mu_);
    connected_ = false;
  }
  if (absl::Now() < retry_at_) {
    *why = absl::UnavailableError("redis: unreachable, retrying shortly");
    return nullptr;
  }
  auto primary = options_.sentinels.empty() ? absl::StatusOr<Endpoint>(endpoints_.front())
                                            : FindPrimary(deadline);
  absl::StatusOr<std::unique_ptr<Connection>> opened =
      primary.ok() ? Connection::Open(*primary, options_.connection, deadline)
                   : absl::StatusOr<std::unique_ptr<Connection>>(primary.status());
  if (opened.ok()) {
    if (absl::Status greeted = Greet(**opened, deadline); !greeted.ok()) opened = greeted;
  }
  if (!opened.ok()) {
    retry_at_ = absl::Now() + options_.reconnect_backoff;
    *why = opened.status();
    return nullptr;
  }
  connection_ = *std::move(opened);
  next_primary_check_ = absl::Now() + options_.primary_check;  // just looked up
  std::function<void(const Endpoint&)> listener;
  {
    absl::MutexLock lock(&mu_);
    connected_ = true;
    listener = listener_;
  }
  if (listener) listener(connection_->endpoint());
  return connection_ != nullptr && connection_->ok() ? connection_.get() : nullptr;
}

absl::Status Client::Greet(Connection& connection, absl::Time deadline) {
  std::vector<Command> commands = options_.on_connect;
  // Behind Sentinel, make sure the node is still the primary it was named.
  if (!options_.sentinels.empty()) commands.push_back({"ROLE"});
  if (commands.empty()) return absl::OkStatus();
  auto replies = connection.Pipeline(commands, deadline);
  if (!replies.ok()) return replies.status();
  for (size_t i = 0; i < replies->size(); ++i) {
    const Reply& reply = (*replies)[i];
    if (reply.is_error()) {
      return absl::FailedPreconditionError(
          absl::StrCat("redis: ", commands[i].front(), " on connect: ", reply.text));
    }
  }
  if (!options_.sentinels.empty()) {
    const Reply& role = replies->back();
    if (role.elements.empty() || role.elements.front().AsString() != "master") {
      return absl::UnavailableError(
          absl::StrCat("redis: ", connection.endpoint().ToString(), " is not the primary"));
    }
  }
  return absl::OkStatus();
}

void Client::CheckPrimary() {
  if (options_.sentinels.empty() || connection_ == nullptr) return;
  const absl::Time now = absl::Now();
  if (now < next_primary_check_) return;
  next_primary_check_ = now + options_.primary_check;
  auto primary = FindPrimary(now + options_.primary_check_timeout);
  if (!primary.ok()) return;  // the sentinels may be down; the primary need not be
  const Endpoint& current = connection_->endpoint();
  if (primary->host == current.host && primary->port == current.port) return;
  connection_.reset();  // the next request connects to the new primary
  absl::MutexLock lock(&mu_);
  connected_ = false;
}

absl::StatusOr<Endpoint> Client::FindPrimary(absl::Time deadline) {
  // Sentinels need no password of the data nodes (their own is not set here).
  ConnectionOptions plain;
  plain.connect_timeout = options_.connection.connect_timeout;
  std::string errors;
  for (const Endpoint& sentinel : endpoints_) {
    auto connection = Connection::Open(sentinel, plain, deadline);
    if (!connection.ok()) {
      absl::StrAppend(&errors, errors.empty() ? "" : "; ", connection.status().message());
      continue;
    }
    auto reply =
        (*connection)
            ->Run({"SENTINEL", "get-master-addr-by-name", options_.sentinel_master}, deadline);
    if (reply.ok() && reply->type == Reply::Type::kArray && reply->elements.size() == 2) {
      Endpoint primary;
      primary.host = reply->elements[0].AsString();
      if (absl::SimpleAtoi(reply->elements[1].AsString(), &primary.port)) return primary;
    }
    absl::StrAppend(&errors, errors.empty() ? "" : "; ", sentinel.ToString(),
                    reply.ok() ? absl::StrCat(" answered ", reply->DebugString())
                               : std::string(reply.status().message()));
  }
  return absl::UnavailableError(absl::StrCat("redis: no sentinel named the primary \"",
                                             options_.sentinel_master, "\": ", errors));
}

}  // namespace signaling::redis
