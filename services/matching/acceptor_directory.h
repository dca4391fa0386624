// The pairing store: which session holds each acceptor id. A narrow
// interface so that several matching replicas can later share it through a
// distributed store; the in-memory one below is the default. Not thread-safe:
// the engine that owns it serializes access.
#ifndef SERVICES_MATCHING_ACCEPTOR_DIRECTORY_H_
#define SERVICES_MATCHING_ACCEPTOR_DIRECTORY_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"

namespace signaling::matching {

using SessionKey = uint64_t;

class AcceptorDirectory {
 public:
  virtual ~AcceptorDirectory() = default;
  // The session registered under `id`, if any.
  virtual std::optional<SessionKey> Find(const std::string& id) const = 0;
  // Registers `key` under `id`, replacing any previous holder.
  virtual void Put(const std::string& id, SessionKey key) = 0;
  // Removes `id` only if `key` still holds it.
  virtual void Remove(const std::string& id, SessionKey key) = 0;
  virtual size_t size() const = 0;
};

class InMemoryAcceptorDirectory final : public AcceptorDirectory {
 public:
  std::optional<SessionKey> Find(const std::string& id) const override {
    auto it = ids_.find(id);
    if (it == ids_.end()) return std::nullopt;
    return it->second;
  }
  void Put(const std::string& id, SessionKey key) override { ids_[id] = key; }
  void Remove(const std::string& id, SessionKey key) override {
    auto it = ids_.find(id);
    if (it != ids_.end() && it->second == key) ids_.erase(it);
  }
  size_t size() const override { return ids_.size(); }

 private:
  absl::flat_hash_map<std::string, SessionKey> ids_;
};

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_ACCEPTOR_DIRECTORY_H_
