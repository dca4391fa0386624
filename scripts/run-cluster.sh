#!/usr/bin/env bash
# Runs a cluster on localhost for development: installs what is missing,
# builds, makes a fresh development key, starts redis-server, auth, three
# matching replicas sharing their ids through Redis and two gateways that
# know all three (plaintext gRPC and plain ws, explicitly), and prints the
# demo URLs, the acceptor's through one gateway and the offerer's through
# the other. Ctrl-C stops everything.
#
#   ./scripts/run-cluster.sh          # gateways on :8080 and :8081
#   PORT=9000 ./scripts/run-cluster.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PORT=${PORT:-8080}
BUILD_DIR=${BUILD_DIR:-build}
REDIS_PORT=${REDIS_PORT:-7379}

./scripts/install-deps.sh
BUILD_DIR=$BUILD_DIR ./scripts/build.sh

RUN_DIR=$ROOT/.run-cluster
rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR"
chmod 700 "$RUN_DIR"
BIN=$ROOT/$BUILD_DIR
"$BIN/services/auth/signaling-mint" --generate_key "$RUN_DIR/dev.key" --alg HS256

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
  --dir "$RUN_DIR" >"$RUN_DIR/redis.log" 2>&1 &
pids+=($!)
"$BIN/services/auth/signaling-auth" --listen 127.0.0.1:7002 \
  --key "dev:HS256:$RUN_DIR/dev.key" --grpc_insecure 2>"$RUN_DIR/auth.log" &
pids+=($!)
replicas=()
for i in 0 1 2; do
  addr=127.0.0.1:$((7011 + i))
  replicas+=("$addr")
  "$BIN/services/matching/signaling-matching" --listen "$addr" --advertise "$addr" \
    --redis "127.0.0.1:$REDIS_PORT" --auth_target 127.0.0.1:7002 --grpc_insecure \
    --admin_port $((9111 + i)) 2>"$RUN_DIR/matching-$i.log" &
  pids+=($!)
done
targets=$(IFS=,; echo "${replicas[*]}")
for i in 0 1; do
  "$BIN/gateway/signaling-gateway" --address 127.0.0.1 --port $((PORT + i)) \
    --matching_target "$targets" --grpc_insecure --dev_mode --admin_port $((9100 + 20 + i)) \
    --web_root "$ROOT/gateway/web" 2>"$RUN_DIR/gateway-$i.log" &
  pids+=($!)
done

mint() {
  "$BIN/services/auth/signaling-mint" --key_file "$RUN_DIR/dev.key" --kid dev --alg HS256 \
    --ttl_s 86400 "$@"
}
ACCEPTOR_TOKEN=$(mint --sub kiosk-owner --accept 'kiosk-*')
OFFERER_TOKEN=$(mint --sub user-42 --offer 'kiosk-*')

for port in "$PORT" $((PORT + 1)); do
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
done

cat <<INFO

A signaling cluster is running (development mode: plain ws, plaintext gRPC,
any Origin): Redis on :$REDIS_PORT, replicas ${targets}, gateways :$PORT and :$((PORT + 1)).
  Logs: $RUN_DIR/*.log

Open these two pages (two tabs), acceptor first; they go through different
gateways and, as the gateways spread connections, often different replicas:
  http://127.0.0.1:$PORT/#role=acceptor&id=kiosk-7&auto=1&token=$ACCEPTOR_TOKEN
  http://127.0.0.1:$((PORT + 1))/#role=offerer&id=kiosk-7&auto=1&send=hello&token=$OFFERER_TOKEN

Press Ctrl-C to stop.
INFO
wait -n "${pids[@]}"
echo "a process exited; see $RUN_DIR/*.log" >&2
exit 1
