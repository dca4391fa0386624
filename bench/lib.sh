# Shared by bench/run.sh and bench/cluster.sh (sourced, not run): paths,
# the load-sized limits, the Release build, and starting and stopping our
# services on free loopback ports. The caller sets `set -euo pipefail`.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
JOBS=${JOBS:-2}
# BENCH_BUILD / BENCH_OUT: another build (its binaries as built) and scratch
# folder, for the CI smoke of bench/cluster.sh.
B=${BENCH_BUILD:-"$ROOT/build-bench"}
OUT=${BENCH_OUT:-"$ROOT/bench/out"}      # git-ignored scratch
DOCS="$ROOT/docs/bench"
mkdir -p "$OUT" "$DOCS"
# 100,000 sessions need ~100k descriptors in the gateway and the loadgen each:
# root may raise the hard limit (up to fs.nr_open); others get what they have.
[ "$(id -u)" = 0 ] && ulimit -Hn "$(cat /proc/sys/fs/nr_open)" 2>/dev/null || true
ulimit -n "$(ulimit -Hn)" || true

# Load-sized limits for our services: every protection stays on.
RATE_PER_S=1000; RATE_BURST=2000; PER_IP=200000; MAX_CONN=200000; CANDS_PER_SESSION=10000
LIMITS_NOTE="matching: --rate_per_second=$RATE_PER_S --rate_burst=$RATE_BURST --max_candidates_per_session=$CANDS_PER_SESSION; gateway: --max_connections_per_ip=$PER_IP --max_connections=$MAX_CONN (defaults 20/s, burst 50, 500 candidates, 1000 per IP, 100000 total)"

LG="$B/bench/signaling-loadgen"
KEY="$OUT/dev.key"

# build_bench: the Release binaries in $B (SKIP_BUILD=1: as they are) and a
# fresh development key.
build_bench() {
  if [ "${SKIP_BUILD:-0}" != 1 ]; then
    echo "== build (Release) into $B"
    cmake -S "$ROOT" -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSIGNALING_TESTS=OFF >/dev/null
    ninja -C "$B" -j"$JOBS" signaling-gateway signaling-matching signaling-auth signaling-mint signaling-loadgen
  fi
  "$B/services/auth/signaling-mint" --generate_key "$KEY" --alg HS256
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 not up" >&2; return 1; }
rss_kib() { local t=0 p; for p in $1; do t=$((t + $(awk '/VmRSS/{print $2}' "/proc/$p/status"))); done; echo $t; }
cpu_s() { local t=0 p; for p in $1; do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat"))); done; echo "scale=2; $t / $(getconf CLK_TCK)" | bc; }

# The server processes of the current run, newest first (stopped in that
# order: gateways before matching before auth). Each start_* adds its own.
PIDS=""
# start_auth: AUTH is its gRPC address.
start_auth() {
  AUTH="127.0.0.1:$(free_port)"
  "$B/services/auth/signaling-auth" --listen "$AUTH" --key "dev:HS256:$KEY" --grpc_insecure \
    --admin_port "$(free_port)" --log_level warn >"$OUT/auth.log" 2>&1 &
  PIDS="$! $PIDS"
}
# start_matching LISTEN LOGNAME [FLAG...]: a replica on LISTEN (after auth);
# MATCHING_LISTEN is its address, MATCHING_ADMIN its admin port.
start_matching() {
  local name=$2
  MATCHING_LISTEN=$1; MATCHING_ADMIN=$(free_port); shift 2
  "$B/services/matching/signaling-matching" --listen "$MATCHING_LISTEN" --auth_target "$AUTH" \
    --grpc_insecure --rate_per_second $RATE_PER_S --rate_burst $RATE_BURST \
    --max_candidates_per_session $CANDS_PER_SESSION --admin_port "$MATCHING_ADMIN" --log_level warn \
    "$@" >"$OUT/$name.log" 2>&1 &
  PIDS="$! $PIDS"
}
# start_gateway TARGET LOGNAME: a gateway in front of --matching_target
# TARGET, back once it is ready (its Relay stream to matching is up; before
# that joins get UNAVAILABLE). GW_PORT is its port, GW_ADMIN its admin port.
start_gateway() {
  GW_PORT=$(free_port); GW_ADMIN=$(free_port)
  "$B/gateway/signaling-gateway" --address 127.0.0.1 --port "$GW_PORT" --matching_target "$1" \
    --grpc_insecure --dev_mode --max_connections_per_ip $PER_IP --max_connections $MAX_CONN \
    --admin_port "$GW_ADMIN" --log_level warn >"$OUT/$2.log" 2>&1 &
  PIDS="$! $PIDS"
  wait_port "$GW_PORT"
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$GW_ADMIN/readyz" >/dev/null && break; sleep 0.1; done
}
stop_servers() {
  local p
  for p in $PIDS; do kill "$p" 2>/dev/null || true; done
  for p in $PIDS; do wait "$p" 2>/dev/null || true; done
  PIDS=""
}
trap stop_servers EXIT
