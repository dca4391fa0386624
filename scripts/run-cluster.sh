#!/usr/bin/env bash
# Runs a cluster on localhost for development: installs what is missing,
# builds, makes a fresh development key, starts redis-server, auth, three
# matching replicas sharing their ids through Redis and two gateways that
# know all three (plaintext gRPC and plain ws, explicitly), and prints the
# demo URLs, the acceptor's through one gateway and the offerer's through
# the other. Ctrl-C stops everything. The steps it shares with run.sh are
# in scripts/lib/run-common.sh.
#
#   ./scripts/run-cluster.sh          # gateways on :8080 and :8081
#   PORT=9000 ./scripts/run-cluster.sh
#   SKIP_BUILD=1 ./scripts/run-cluster.sh   # the binaries already in $BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-8080}
REDIS_PORT=${REDIS_PORT:-7379}
source scripts/lib/run-common.sh

prepare_run_dir .run-cluster
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
  --dir "$RUN_DIR" >"$RUN_DIR/redis.log" 2>&1 &
track_pid $!
start_auth
replicas=()
for i in 0 1 2; do
  addr=127.0.0.1:$((7011 + i))
  replicas+=("$addr")
  start_matching "matching-$i" "$addr" --advertise "$addr" --redis "127.0.0.1:$REDIS_PORT" \
    --admin_port $((9111 + i))
done
targets=$(IFS=,; echo "${replicas[*]}")
for i in 0 1; do
  start_gateway "gateway-$i" $((PORT + i)) "$targets" --admin_port $((9100 + 20 + i))
done
mint_demo_tokens
wait_for_ports "$PORT" $((PORT + 1))

cat <<INFO

A signaling cluster is running (development mode: plain ws, plaintext gRPC,
any Origin): Redis on :$REDIS_PORT, replicas ${targets}, gateways :$PORT and :$((PORT + 1)).
  Logs: $RUN_DIR/*.log

Open these two pages (two tabs), acceptor first; they go through different
gateways and, as the gateways spread connections, often different replicas:
  $(acceptor_url "$PORT")
  $(offerer_url $((PORT + 1)))

Press Ctrl-C to stop.
INFO
wait_for_exit process
