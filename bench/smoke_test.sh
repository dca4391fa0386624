#!/usr/bin/env bash
# CI smoke test of the load generator against the real services (seconds):
#   smoke_test.sh LOADGEN GATEWAY MATCHING AUTH MINT
# Starts the three services on free loopback ports, runs `pairing` at 20
# pairs/s for 2 s and `relay` briefly, and asserts completed work and no errors;
# then a tiny bench/cluster.sh on the same binaries (needs redis-server).
set -euo pipefail
[ $# -eq 5 ] || { echo "usage: $0 LOADGEN GATEWAY MATCHING AUTH MINT" >&2; exit 2; }
LG=$1 GW=$2 MATCH=$3 AUTH=$4 MINT=$5
DIR=$(mktemp -d)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$DIR"
}
trap cleanup EXIT
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
AP=$(free_port) MP=$(free_port) GP=$(free_port)
A1=$(free_port) A2=$(free_port) A3=$(free_port)  # admin ports

"$MINT" --generate_key "$DIR/key" --alg HS256
"$AUTH" --listen "127.0.0.1:$AP" --key "dev:HS256:$DIR/key" --grpc_insecure --admin_port "$A1" --log_level warn >"$DIR/auth.log" 2>&1 &
PIDS+=($!)
wait_port "$AP"
"$MATCH" --listen "127.0.0.1:$MP" --auth_target "127.0.0.1:$AP" --grpc_insecure \
  --rate_per_second 200 --rate_burst 400 --admin_port "$A2" --log_level warn >"$DIR/matching.log" 2>&1 &
PIDS+=($!)
wait_port "$MP"
"$GW" --address 127.0.0.1 --port "$GP" --matching_target "127.0.0.1:$MP" --grpc_insecure --dev_mode \
  --admin_port "$A3" --log_level warn >"$DIR/gateway.log" 2>&1 &
PIDS+=($!)
wait_port "$GP"
sleep 0.5

check() {  # name, json, jq assertion
  if ! echo "$2" | jq -e "$3" >/dev/null; then
    echo "FAIL $1: $3" >&2
    echo "$2" >&2
    tail -n 5 "$DIR"/*.log >&2
    exit 1
  fi
  echo "ok $1: $(echo "$2" | jq -c "$4")"
}
COMMON=(--port "$GP" --key_file "$DIR/key" --kid dev --threads 1 --source_addresses 2)

R=$(timeout 20 "$LG" "${COMMON[@]}" --scenario pairing --rate 20 --duration_s 2 --drain_s 3)
check pairing "$R" '.completed_pairs > 0 and .errors == 0 and .incomplete == 0' \
  '{completed_pairs, errors, p99_us: .time_to_answer_us.p99}'
R=$(timeout 20 "$LG" "${COMMON[@]}" --scenario relay --subprotocol proto --pairs 4 --rate 80 \
  --duration_s 1 --setup_timeout_s 5)
check relay "$R" '.pairs_ready == 4 and .received > 0 and .errors == 0' \
  '{received, errors, p99_us: .one_way_latency_us.p99}'

# bench/cluster.sh, tiny and on these binaries: two replicas and Redis, every
# offerer moved to its acceptor's replica (the relay set-up is in order, so
# all of them), and its report written.
BUILD=$(cd "$(dirname "$LG")/.." && pwd)
[ "$BUILD/gateway/signaling-gateway" -ef "$GW" ] || { echo "FAIL cluster: $GW is not in $BUILD" >&2; exit 1; }
CL=$(BENCH_BUILD=$BUILD SKIP_BUILD=1 BENCH_OUT="$DIR/cluster" CLUSTER_DOCS="$DIR/cluster" CLUSTER_SETUPS=cross CLUSTER_REPEAT=1 \
  CLUSTER_PAIR_RATE=20 CLUSTER_DUR_S=1 CLUSTER_RELAY_PAIRS=10 CLUSTER_RELAY_RATE=100 CLUSTER_LAT_PAIRS=2 \
  timeout 40 "$(dirname "$0")/cluster.sh" 2>&1) || { echo "FAIL cluster.sh" >&2; echo "$CL" >&2; exit 1; }
check cluster "$(cat "$DIR/cluster/cluster.json")" \
  '.summary.cross | .pairing.completed > 0 and .pairing.errors == 0 and .pairing.redirect_fraction > 0
   and .relay.pairs_ready == 10 and .relay.redirect_fraction == 1 and .relay.errors == 0' \
  '.summary.cross | {pairing_moved: .pairing.redirect_fraction, relay_moved: .relay.redirect_fraction}'
grep -q '^| cross-replica relaying' "$DIR/cluster/cluster.md" || { echo "FAIL cluster: no report" >&2; exit 1; }
