#!/usr/bin/env bash
# Runs the whole system on localhost for development: installs what is
# missing, builds, makes a fresh development key, starts auth + matching +
# gateway (plaintext gRPC and plain ws, explicitly), and prints the demo URLs
# with development tokens. Ctrl-C stops everything.
#
#   ./scripts/run.sh            # gateway on http://127.0.0.1:8080
#   PORT=9000 ./scripts/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PORT=${PORT:-8080}
BUILD_DIR=${BUILD_DIR:-build}

./scripts/install-deps.sh
BUILD_DIR=$BUILD_DIR ./scripts/build.sh

RUN_DIR=$ROOT/.run
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

"$BIN/services/auth/signaling-auth" --listen 127.0.0.1:7002 \
  --key "dev:HS256:$RUN_DIR/dev.key" --grpc_insecure 2>"$RUN_DIR/auth.log" &
pids+=($!)
"$BIN/services/matching/signaling-matching" --listen 127.0.0.1:7001 \
  --auth_target 127.0.0.1:7002 --grpc_insecure 2>"$RUN_DIR/matching.log" &
pids+=($!)
"$BIN/gateway/signaling-gateway" --address 127.0.0.1 --port "$PORT" \
  --matching_target 127.0.0.1:7001 --grpc_insecure --dev_mode \
  --web_root "$ROOT/gateway/web" 2>"$RUN_DIR/gateway.log" &
pids+=($!)

mint() {
  "$BIN/services/auth/signaling-mint" --key_file "$RUN_DIR/dev.key" --kid dev --alg HS256 \
    --ttl_s 86400 "$@"
}
ACCEPTOR_TOKEN=$(mint --sub kiosk-owner --accept 'kiosk-*')
OFFERER_TOKEN=$(mint --sub user-42 --offer 'kiosk-*')

for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done

cat <<INFO

Signaling is running (development mode: plain ws, plaintext gRPC, any Origin).
  Logs: $RUN_DIR/{auth,matching,gateway}.log

Open these two pages (two tabs), acceptor first:
  http://127.0.0.1:$PORT/#role=acceptor&id=kiosk-7&auto=1&token=$ACCEPTOR_TOKEN
  http://127.0.0.1:$PORT/#role=offerer&id=kiosk-7&auto=1&send=hello&token=$OFFERER_TOKEN

Development tokens (valid 24 h):
  acceptor (sub kiosk-owner, accept kiosk-*): $ACCEPTOR_TOKEN
  offerer  (sub user-42, offer kiosk-*):      $OFFERER_TOKEN
Mint more: $BUILD_DIR/services/auth/signaling-mint --key_file .run/dev.key --kid dev --alg HS256 --sub NAME --accept 'ID-PATTERN' --offer 'ID-PATTERN'

Press Ctrl-C to stop.
INFO
wait -n "${pids[@]}"
echo "a service exited; see $RUN_DIR/*.log" >&2
exit 1
