// The test's Relay stream; see relay_stream.h.
#include "tests/cluster/relay_stream.h"

#include "absl/strings/str_cat.h"

namespace signaling::testing {

RelayStream::RelayStream(const std::string& address)
    : stub_(
          v1::Matching::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {
  stream_ = stub_->Relay(&context_);
  reader_ = std::thread([this] { ReadLoop(); });
}

RelayStream::~RelayStream() {
  {
    absl::MutexLock lock(&write_mu_);
    stream_->WritesDone();
  }
  context_.TryCancel();
  reader_.join();
  stream_->Finish().ok();  // the test is over: how it ended is not its verdict
}

void RelayStream::Write(v1::RelayUp up) {
  absl::MutexLock lock(&write_mu_);
  stream_->Write(up);
}

void RelayStream::Open(uint64_t conn, const std::string& announced_session_id) {
  v1::RelayUp up;
  auto* event = up.add_events();
  event->set_conn(conn);
  event->mutable_open()->set_client_ip(absl::StrCat("192.0.2.", conn % 250 + 1));
  event->mutable_open()->set_transport("proto");
  event->mutable_open()->set_announced_session_id(announced_session_id);
  Write(std::move(up));
}

void RelayStream::Send(uint64_t conn, v1::ClientMessage message) {
  v1::RelayUp up;
  auto* event = up.add_events();
  event->set_conn(conn);
  *event->mutable_message() = std::move(message);
  Write(std::move(up));
}

void RelayStream::Close(uint64_t conn) {
  v1::RelayUp up;
  auto* event = up.add_events();
  event->set_conn(conn);
  event->mutable_closed();
  Write(std::move(up));
}

void RelayStream::ReadLoop() {
  v1::RelayDown down;
  while (stream_->Read(&down)) {
    absl::MutexLock lock(&mu_);
    for (v1::RelayDown::Event& event : *down.mutable_events()) {
      events_[event.conn()].push_back(std::move(event));
    }
  }
  absl::MutexLock lock(&mu_);
  ended_ = true;
}

std::optional<v1::RelayDown::Event> RelayStream::Next(uint64_t conn, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = events_.find(conn);
    return ended_ || (it != events_.end() && !it->second.empty());
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  auto it = events_.find(conn);
  if (it == events_.end() || it->second.empty()) return std::nullopt;
  v1::RelayDown::Event event = std::move(it->second.front());
  it->second.pop_front();
  return event;
}

bool RelayStream::up() {
  absl::MutexLock lock(&mu_);
  return !ended_;
}

v1::ClientMessage JoinMessage(const std::string& token, v1::Role role, const std::string& id,
                              uint32_t wait_ms) {
  v1::ClientMessage m;
  auto* join = m.mutable_join();
  join->set_session_token(token);
  join->set_role(role);
  if (role == v1::ACCEPTOR) join->set_peer_id(id);
  if (role == v1::OFFERER) join->set_target_id(id);
  join->set_wait_ms(wait_ms);
  return m;
}

std::string Describe(const std::optional<v1::RelayDown::Event>& event) {
  if (!event.has_value()) return "(nothing)";
  if (event->has_close()) return absl::StrCat("close:", event->close().code());
  if (event->has_redirect()) return absl::StrCat("redirect:", event->redirect().replica());
  const v1::ServerMessage& m = event->message();
  if (m.has_error()) return "error:" + v1::Error::Code_Name(m.error().code());
  if (m.has_peer_left()) return "peer_left:" + v1::PeerLeft::Reason_Name(m.peer_left().reason());
  const auto* field = m.GetDescriptor()->FindFieldByNumber(m.kind_case());
  return field != nullptr ? std::string(field->name()) : "(empty)";
}

}  // namespace signaling::testing
