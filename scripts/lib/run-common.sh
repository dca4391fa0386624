# shellcheck shell=bash
# What the development launchers scripts/run.sh (one of each service) and
# scripts/run-cluster.sh (Redis, three replicas, two gateways) share: the
# build, a fresh run directory with a development key, auth, the flags
# every matching replica and gateway takes here, the demo tokens and URLs,
# the wait for the gateways, and stopping everything on exit. Each launcher
# keeps its own topology, ports and banner.
#
# Sourced, not run, by a launcher that has `set -euo pipefail` and has cd'd
# to the repository root. Environment: BUILD_DIR (default build);
# SKIP_BUILD=1 starts the binaries already in BUILD_DIR without building
# (for checks that must not build outside the team's build lock).

ROOT=$(pwd)
BUILD_DIR=${BUILD_DIR:-build}
BIN=$ROOT/$BUILD_DIR
# Auth's gRPC address, the same in both launchers (its admin port is its default).
AUTH_ADDR=127.0.0.1:7002
# The demo's acceptor id; the tokens grant kiosk-*.
DEMO_ID=kiosk-7

run_pids=()

# Installs what is missing and builds (unless SKIP_BUILD=1), then makes
# $ROOT/<name> a fresh directory only we can read, holding the development
# key dev.key, as RUN_DIR; from here on every process started below is
# stopped when the launcher exits or is interrupted.
prepare_run_dir() {
  ./scripts/install-deps.sh
  if [ "${SKIP_BUILD:-0}" != 1 ]; then
    BUILD_DIR=$BUILD_DIR ./scripts/build.sh
  fi
  RUN_DIR=$ROOT/$1
  rm -rf "$RUN_DIR"
  mkdir -p "$RUN_DIR"
  chmod 700 "$RUN_DIR"
  "$BIN/services/auth/signaling-mint" --generate_key "$RUN_DIR/dev.key" --alg HS256
  trap stop_all EXIT INT TERM
}

stop_all() {
  for pid in "${run_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}

# Records a process started in the background (`cmd & track_pid $!`) so
# that stop_all stops it and wait_for_exit watches it.
track_pid() {
  run_pids+=("$1")
}

# start_bg LOG CMD...: runs CMD in the background with its stderr (the
# services' JSON log lines) in $RUN_DIR/LOG.log.
start_bg() {
  local log=$1
  shift
  "$@" 2>"$RUN_DIR/$log.log" &
  track_pid $!
}

start_auth() {
  start_bg auth "$BIN/services/auth/signaling-auth" --listen "$AUTH_ADDR" \
    --key "dev:HS256:$RUN_DIR/dev.key" --grpc_insecure
}

# start_matching LOG LISTEN [FLAG...]: a matching replica on LISTEN using
# our auth, plaintext gRPC.
start_matching() {
  local log=$1 listen=$2
  shift 2
  start_bg "$log" "$BIN/services/matching/signaling-matching" --listen "$listen" \
    --auth_target "$AUTH_ADDR" --grpc_insecure "$@"
}

# start_gateway LOG PORT MATCHING_TARGET [FLAG...]: a gateway on
# 127.0.0.1:PORT in development mode (plain ws, any Origin) serving the demo.
start_gateway() {
  local log=$1 port=$2 target=$3
  shift 3
  start_bg "$log" "$BIN/gateway/signaling-gateway" --address 127.0.0.1 --port "$port" \
    --matching_target "$target" --grpc_insecure --dev_mode --web_root "$ROOT/gateway/web" "$@"
}

mint() {
  "$BIN/services/auth/signaling-mint" --key_file "$RUN_DIR/dev.key" --kid dev --alg HS256 \
    --ttl_s 86400 "$@"
}

# Sets ACCEPTOR_TOKEN and OFFERER_TOKEN, valid 24 h, for the demo pages.
mint_demo_tokens() {
  ACCEPTOR_TOKEN=$(mint --sub kiosk-owner --accept 'kiosk-*')
  OFFERER_TOKEN=$(mint --sub user-42 --offer 'kiosk-*')
}

# The demo pages through the gateway on PORT; they pair on their own.
acceptor_url() {
  echo "http://127.0.0.1:$1/#role=acceptor&id=$DEMO_ID&auto=1&token=$ACCEPTOR_TOKEN"
}
offerer_url() {
  echo "http://127.0.0.1:$1/#role=offerer&id=$DEMO_ID&auto=1&send=hello&token=$OFFERER_TOKEN"
}

# wait_for_ports PORT...: waits up to 5 s per port for it to accept TCP, so
# that the banner comes once the pages can load. Returns either way: a
# process that failed to start shows in wait_for_exit.
wait_for_ports() {
  local port
  for port in "$@"; do
    for _ in $(seq 50); do
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
      sleep 0.1
    done
  done
}

# wait_for_exit WHAT: never returns. Waits for the first started process
# to exit, says so (WHAT names it) and exits 1; the trap stops the rest.
wait_for_exit() {
  wait -n "${run_pids[@]}"
  echo "a $1 exited; see $RUN_DIR/*.log" >&2
  exit 1
}
