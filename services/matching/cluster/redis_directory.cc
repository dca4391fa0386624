// The directory's Redis Function calls and their answers; see
// redis_directory.h and functions.lua.
#include "services/matching/cluster/redis_directory.h"

#include <algorithm>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/matching/cluster/functions_lua.h"

namespace signaling::matching {
namespace {

using redis::Reply;

std::string Ms(absl::Duration d) { return absl::StrCat(absl::ToInt64Milliseconds(d)); }

absl::Status Unexpected(const Reply& reply) {
  return absl::InternalError(absl::StrCat("unexpected directory answer: ", reply.DebugString()));
}

// The answer's first element, "" when it is not an array of text.
std::string Verdict(const Reply& reply) {
  if (reply.type != Reply::Type::kArray || reply.elements.empty()) return "";
  return reply.elements.front().AsString();
}

uint64_t Number(const Reply& reply) { return reply.integer > 0 ? reply.integer : 0; }

std::vector<std::string> Texts(const Reply& reply) {
  std::vector<std::string> texts;
  for (const Reply& element : reply.elements) texts.push_back(element.AsString());
  return texts;
}

// 128 random bits in hex: a generation nobody else proposes.
std::string RandomGeneration() {
  absl::BitGen bits;
  return absl::StrCat(absl::Hex(absl::Uniform<uint64_t>(bits), absl::kZeroPad16),
                      absl::Hex(absl::Uniform<uint64_t>(bits), absl::kZeroPad16));
}

}  // namespace

RedisDirectory::RedisDirectory(RedisDirectoryOptions options, redis::Client* client)
    : options_(std::move(options)), client_(client) {}

redis::Command RedisDirectory::FunctionsLoad() {
  return {"FUNCTION", "LOAD", "REPLACE", std::string(kDirectoryFunctions)};
}

std::string RedisDirectory::IdKey(const std::string& id) const {
  // The id as a hash tag: every key of one id in one slot.
  return absl::StrCat(options_.key_prefix, "a:{", id, "}");
}

std::string RedisDirectory::WaitKey(const std::string& id) const {
  return absl::StrCat(options_.key_prefix, "w:{", id, "}");
}

std::string RedisDirectory::MemberKey() const {
  return absl::StrCat(options_.key_prefix, "m:", replica());
}

std::string RedisDirectory::MembersKey() const {
  return absl::StrCat(options_.key_prefix, "members");
}

void RedisDirectory::Call(redis::Command command, absl::Time deadline,
                          std::function<void(absl::StatusOr<Reply>)> parse) {
  client_->Submit(
      {std::move(command)}, deadline,
      [parse = std::move(parse)](absl::StatusOr<redis::Replies> replies) {
        if (!replies.ok()) return parse(replies.status());
        Reply& reply = replies->front();
        if (reply.is_error()) {
          return parse(absl::UnavailableError(absl::StrCat("directory call failed: ", reply.text)));
        }
        parse(std::move(reply));
      });
}

void RedisDirectory::CheckGeneration(
    const std::string& known, absl::Duration barrier, absl::Time deadline,
    std::function<void(absl::StatusOr<std::pair<Generation, std::string>>)> done) {
  Call({"FCALL", "signaling_generation", "2", absl::StrCat(options_.key_prefix, "gen"),
        absl::StrCat(options_.key_prefix, "barrier"), known, RandomGeneration(), Ms(barrier)},
       deadline, [known, done = std::move(done)](absl::StatusOr<Reply> reply) {
         if (!reply.ok()) return done(reply.status());
         const std::string verdict = Verdict(*reply);
         const auto& e = reply->elements;
         if (verdict == "SAME") return done(std::make_pair(Generation::kSame, known));
         if (e.size() != 2) return done(Unexpected(*reply));
         const std::string current = e[1].AsString();
         if (verdict == "NEW") return done(std::make_pair(Generation::kNew, current));
         if (verdict == "ADOPT") return done(std::make_pair(Generation::kAdopted, current));
         if (verdict == "LOST") return done(std::make_pair(Generation::kLost, current));
         done(Unexpected(*reply));
       });
}

void RedisDirectory::NewEpoch(absl::Time deadline, Done<uint64_t> done) {
  Call({"INCR", absl::StrCat(options_.key_prefix, "epochs")}, deadline,
       [done = std::move(done)](absl::StatusOr<Reply> reply) {
         if (!reply.ok()) return done(reply.status());
         if (reply->type != Reply::Type::kInteger || reply->integer <= 0) {
           return done(Unexpected(*reply));
         }
         done(static_cast<uint64_t>(reply->integer));
       });
}

void RedisDirectory::Heartbeat(uint64_t epoch, const std::string& state, absl::Duration lease,
                               absl::Time deadline, Done<bool> done) {
  Call({"FCALL", "signaling_member", "2", MemberKey(), MembersKey(), absl::StrCat(epoch), state,
        Ms(lease), replica()},
       deadline, [done = std::move(done)](absl::StatusOr<Reply> reply) {
         if (!reply.ok()) return done(reply.status());
         const std::string verdict = Verdict(*reply);
         if (verdict != "OK" && verdict != "SUPERSEDED") return done(Unexpected(*reply));
         done(verdict == "OK");
       });
}

void RedisDirectory::Leave(uint64_t epoch, absl::Time deadline, Done<bool> done) {
  Call({"FCALL", "signaling_leave", "2", MemberKey(), MembersKey(), absl::StrCat(epoch), replica()},
       deadline, [done = std::move(done)](absl::StatusOr<Reply> reply) {
         if (!reply.ok()) return done(reply.status());
         done(Verdict(*reply) == "OK");
       });
}

void RedisDirectory::Members(absl::Time deadline, Done<std::vector<Member>> done) {
  Call({"FCALL", "signaling_members", "1", MembersKey(), options_.key_prefix}, deadline,
       [done = std::move(done)](absl::StatusOr<Reply> reply) {
         if (!reply.ok()) return done(reply.status());
         const auto& e = reply->elements;
         if (Verdict(*reply) != "OK" || e.size() % 2 != 1) return done(Unexpected(*reply));
         std::vector<Member> members;
         for (size_t i = 1; i + 1 < e.size(); i += 2) {
           members.push_back({e[i].AsString(), e[i + 1].AsString()});
         }
         // Redis ranks them by lease: name order is stable for callers.
         std::sort(members.begin(), members.end(),
                   [](const Member& a, const Member& b) { return a.replica < b.replica; });
         done(std::move(members));
       });
}

void RedisDirectory::Claim(const std::string& id, const std::string& subject,
                           const std::string& session, uint64_t epoch, absl::Duration lease,
                           absl::Time deadline, Done<ClaimResult> done) {
  Call({"FCALL", "signaling_claim", "3", IdKey(id), absl::StrCat(options_.key_prefix, "fence"),
        WaitKey(id), options_.key_prefix, subject, replica(), absl::StrCat(epoch), session,
        Ms(lease)},
       deadline, [done = std::move(done)](absl::StatusOr<Reply> reply) {
         if (!reply.ok()) return done(reply.status());
         const std::string verdict = Verdict(*reply);
         const auto& e = reply->elements;
         ClaimResult result;
         if (verdict == "OK" && e.size() == 3) {
           result.kind = ClaimResult::Kind::kClaimed;
           result.fence = Number(e[1]);
           result.waiting = Texts(e[2]);
         } else if (verdict == "REPLACED" && e.size() == 6) {
           result.kind = ClaimResult::Kind::kReplaced;
           result.fence = Number(e[1]);
           result.waiting = Texts(e[2]);
           result.previous = Holder{e[3].AsString(), e[4].AsString(), Number(e[5]), ""};
         } else if (verdict == "TAKEN" && e.size() == 3) {
           result.kind = ClaimResult::Kind::kTaken;
           result.previous = Holder{e[1].AsString(), e[2].AsString(), 0, ""};
         } else if (verdict == "BARRIER") {
           result.kind = ClaimResult::Kind::kBarrier;
         } else {
           return done(Unexpected(*reply));
         }
         done(std::move(result));
       });
}

void RedisDirectory::Lookup(const std::string& id, absl::Time wait_until, absl::Time deadline,
                            Done<std::optional<Holder>> done) {
  const int64_t until_ms = wait_until > absl::Now() ? absl::ToUnixMillis(wait_until) : 0;
  Call({"FCALL", "signaling_lookup", "2", IdKey(id), WaitKey(id), options_.key_prefix, replica(),
        absl::StrCat(until_ms)},
       deadline, [done = std::move(done)](absl::StatusOr<Reply> reply) {
         if (!reply.ok()) return done(reply.status());
         const std::string verdict = Verdict(*reply);
         const auto& e = reply->elements;
         if (verdict == "FREE") return done(std::optional<Holder>());
         if (verdict != "HELD" || e.size() != 5) return done(Unexpected(*reply));
         done(std::optional<Holder>(
             Holder{e[1].AsString(), e[2].AsString(), Number(e[3]), e[4].AsString()}));
       });
}

void RedisDirectory::Release(const std::string& id, uint64_t fence, absl::Time deadline,
                             Done<bool> done) {
  Call({"FCALL", "signaling_release", "1", IdKey(id), absl::StrCat(fence)}, deadline,
       [done = std::move(done)](absl::StatusOr<Reply> reply) {
         if (!reply.ok()) return done(reply.status());
         const std::string verdict = Verdict(*reply);
         if (verdict != "OK" && verdict != "STALE") return done(Unexpected(*reply));
         done(verdict == "OK");
       });
}

void RedisDirectory::Renew(const std::string& id, uint64_t fence, absl::Duration lease,
                           absl::Time deadline, Done<bool> done) {
  Call({"FCALL", "signaling_renew", "1", IdKey(id), absl::StrCat(fence), Ms(lease)}, deadline,
       [done = std::move(done)](absl::StatusOr<Reply> reply) {
         if (!reply.ok()) return done(reply.status());
         const std::string verdict = Verdict(*reply);
         if (verdict != "OK" && verdict != "LOST") return done(Unexpected(*reply));
         done(verdict == "OK");
       });
}

void RedisDirectory::Reassert(const std::string& id, const Holder& ours, uint64_t epoch,
                              absl::Duration lease, absl::Time deadline,
                              Done<ReassertResult> done) {
  Call({"FCALL", "signaling_reassert", "2", IdKey(id), absl::StrCat(options_.key_prefix, "fence"),
        options_.key_prefix, absl::StrCat(ours.fence), ours.subject, replica(), absl::StrCat(epoch),
        ours.session, Ms(lease)},
       deadline, [done = std::move(done)](absl::StatusOr<Reply> reply) {
         if (!reply.ok()) return done(reply.status());
         const std::string verdict = Verdict(*reply);
         const auto& e = reply->elements;
         ReassertResult result;
         if (verdict == "OK" && (e.size() == 1 || e.size() == 4)) {
           result.kept = true;
           if (e.size() == 4) {
             result.displaced = Holder{e[1].AsString(), e[2].AsString(), Number(e[3]), ""};
           }
         } else if (verdict == "LOST" && e.size() == 4) {
           result.winner = Holder{e[1].AsString(), e[2].AsString(), Number(e[3]), ""};
         } else {
           return done(Unexpected(*reply));
         }
         done(std::move(result));
       });
}

}  // namespace signaling::matching
