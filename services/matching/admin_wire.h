// The admin API's wire forms (signaling.v1 Stats and SessionInfo, in
// matching.proto) of the engine's own views. The engine reports EngineStats
// and SessionView; the adapter converts them here, at the edge, so that the
// pure core does not depend on the admin messages. Pure functions.
#ifndef SERVICES_MATCHING_ADMIN_WIRE_H_
#define SERVICES_MATCHING_ADMIN_WIRE_H_

#include <vector>

#include "services/matching/pairing_engine.h"
#include "signaling/v1/matching.pb.h"

namespace signaling::matching {

v1::Stats ToWire(const EngineStats& stats);
v1::SessionInfo ToWire(const SessionView& session);
std::vector<v1::SessionInfo> ToWire(const std::vector<SessionView>& sessions);

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_ADMIN_WIRE_H_
