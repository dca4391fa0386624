#!/usr/bin/env bash
# Benchmarks our signaling services against PeerJS server 1.0.2 on loopback
# and writes docs/benchmarks.md, docs/bench/results.json and docs/bench/*.png.
# Sizes (env): IDLE_N (5000), IDLE_HOLD_S (5), PAIR_RATE (50), PAIR_RAMP
# ("25 50 100 200 400 800"), STEP_S (4), RELAY_PAIRS (100), RELAY_RATE (4000),
# LAT_PAIRS (10), LAT_RATE (200), CHURN_C (16), DUR_S (5), LG_THREADS (2), JOBS (2).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CMD="$0 $*"
IDLE_N=${IDLE_N:-5000}; IDLE_HOLD_S=${IDLE_HOLD_S:-5}; PAIR_RATE=${PAIR_RATE:-50}
PAIR_RAMP=${PAIR_RAMP:-"25 50 100 200 400 800"}; STEP_S=${STEP_S:-4}
RELAY_PAIRS=${RELAY_PAIRS:-100}; RELAY_RATE=${RELAY_RATE:-4000}
LAT_PAIRS=${LAT_PAIRS:-10}; LAT_RATE=${LAT_RATE:-200}; CHURN_C=${CHURN_C:-16}
DUR_S=${DUR_S:-5}; LG_THREADS=${LG_THREADS:-2}; JOBS=${JOBS:-2}
ENV_LINE="IDLE_N=$IDLE_N IDLE_HOLD_S=$IDLE_HOLD_S PAIR_RATE=$PAIR_RATE PAIR_RAMP=\"$PAIR_RAMP\" STEP_S=$STEP_S RELAY_PAIRS=$RELAY_PAIRS RELAY_RATE=$RELAY_RATE LAT_PAIRS=$LAT_PAIRS LAT_RATE=$LAT_RATE CHURN_C=$CHURN_C DUR_S=$DUR_S LG_THREADS=$LG_THREADS"

B="$ROOT/build-bench"
OUT="$ROOT/bench/out"      # git-ignored scratch
DOCS="$ROOT/docs/bench"
mkdir -p "$OUT" "$DOCS"
ulimit -n "$(ulimit -Hn)" || true

# Load-sized limits for our services: every protection stays on.
RATE_PER_S=1000; RATE_BURST=2000; PER_IP=200000; MAX_CONN=200000; CANDS_PER_SESSION=10000
LIMITS_NOTE="matching: --rate_per_second=$RATE_PER_S --rate_burst=$RATE_BURST --max_candidates_per_session=$CANDS_PER_SESSION; gateway: --max_connections_per_ip=$PER_IP --max_connections=$MAX_CONN (defaults 20/s, burst 50, 500 candidates, 1000 per IP, 100000 total)"

echo "== build (Release) into $B"
cmake -S "$ROOT" -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSIGNALING_TESTS=OFF >/dev/null
ninja -C "$B" -j"$JOBS" signaling-gateway signaling-matching signaling-auth signaling-mint signaling-loadgen

command -v gnuplot >/dev/null || { echo "== installing gnuplot-nox"; apt-get install -y gnuplot-nox >/dev/null; }
if [ "$(node -p "require('$ROOT/bench/peerjs/node_modules/peer/package.json').version" 2>/dev/null)" != 1.0.2 ]; then
  echo "== npm install peer@1.0.2"
  npm install --prefix "$ROOT/bench/peerjs" peer@1.0.2 >/dev/null
fi

LG="$B/bench/signaling-loadgen"
KEY="$OUT/dev.key"
"$B/services/auth/signaling-mint" --generate_key "$KEY" --alg HS256

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 not up" >&2; return 1; }
rss_kib() { local t=0 p; for p in $1; do t=$((t + $(awk '/VmRSS/{print $2}' "/proc/$p/status"))); done; echo $t; }
cpu_s() { local t=0 p; for p in $1; do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat"))); done; echo "scale=2; $t / $(getconf CLK_TCK)" | bc; }

PIDS=""; PORT=0
start_ours() {
  local ap mp ga
  ap=$(free_port); mp=$(free_port); PORT=$(free_port); ga=$(free_port)
  "$B/services/auth/signaling-auth" --listen "127.0.0.1:$ap" --key "dev:HS256:$KEY" --grpc_insecure \
    --admin_port "$(free_port)" --log_level warn >"$OUT/auth.log" 2>&1 &
  local a=$!
  "$B/services/matching/signaling-matching" --listen "127.0.0.1:$mp" --auth_target "127.0.0.1:$ap" \
    --grpc_insecure --rate_per_second $RATE_PER_S --rate_burst $RATE_BURST \
    --max_candidates_per_session $CANDS_PER_SESSION --admin_port "$(free_port)" --log_level warn >"$OUT/matching.log" 2>&1 &
  local m=$!
  "$B/gateway/signaling-gateway" --address 127.0.0.1 --port "$PORT" --matching_target "127.0.0.1:$mp" \
    --grpc_insecure --dev_mode --max_connections_per_ip $PER_IP --max_connections $MAX_CONN \
    --admin_port "$ga" --log_level warn >"$OUT/gateway.log" 2>&1 &
  local g=$!
  PIDS="$g $m $a"
  wait_port "$PORT"
  # Ready = the Relay stream to matching is up; before that joins get UNAVAILABLE.
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$ga/readyz" >/dev/null && break; sleep 0.1; done
  sleep 0.3
}
start_peerjs() {
  PORT=$(free_port)
  node "$ROOT/bench/peerjs-server.cjs" "$PORT" >"$OUT/peerjs.log" 2>&1 &
  PIDS="$!"
  wait_port "$PORT"; sleep 0.3
}
stop_servers() {
  local p
  for p in $PIDS; do kill "$p" 2>/dev/null || true; done
  for p in $PIDS; do wait "$p" 2>/dev/null || true; done
  PIDS=""
}
trap stop_servers EXIT

RESULTS="$OUT/results.jsonl"; : >"$RESULTS"
# run SYSTEM LABEL loadgen-args...: one loadgen run against fresh servers.
run() {
  local sys=$1 label=$2; shift 2
  if [ "$sys" = peerjs ]; then start_peerjs; else start_ours; fi
  local rss0 cpu0 cpu1 res args=(--port "$PORT" --threads "$LG_THREADS" --server_pids "${PIDS// /,}")
  [ "$sys" = peerjs ] && args+=(--target peerjs) || args+=(--key_file "$KEY" --kid dev)
  rss0=$(rss_kib "$PIDS"); cpu0=$(cpu_s "$PIDS")
  res=$("$LG" "${args[@]}" "$@" 2>"$OUT/loadgen.err")
  cpu1=$(cpu_s "$PIDS")
  echo "$res" | jq -c --arg sys "$sys" --arg lbl "$label" --argjson rss0 "$rss0" \
    --argjson cpu "$(echo "$cpu1 - $cpu0" | bc)" --arg args "$*" \
    '. + {system:$sys, "label":$lbl, args:$args, rss_baseline_kib:$rss0, server_cpu_s_whole_run:$cpu}' >>"$RESULTS"
  echo "   $sys $label: $(echo "$res" | jq -c '{errors, achieved_rate, completed_pairs, received, sessions_per_s, joined_at_end}')"
  stop_servers
}

for sys in signaling peerjs; do
  echo "== $sys"
  run $sys idle --scenario idle --sessions "$IDLE_N" --concurrency 256 --duration_s "$IDLE_HOLD_S"
  run $sys pairing --scenario pairing --rate "$PAIR_RATE" --duration_s "$DUR_S"
  for r in $PAIR_RAMP; do
    run $sys "ramp_$r" --scenario pairing --rate "$r" --duration_s "$STEP_S" --drain_s 3
    last=$(tail -1 "$RESULTS")
    if ! echo "$last" | jq -e '.errors == 0 and .incomplete == 0 and .dropped_starts == 0 and .time_to_answer_us.p99 <= 50000 and .achieved_rate >= 0.9 * .offered_rate' >/dev/null; then
      break  # past the knee
    fi
  done
  run $sys relay_latency --scenario relay --pairs "$LAT_PAIRS" --rate "$LAT_RATE" --duration_s "$DUR_S"
  run $sys relay_throughput --scenario relay --pairs "$RELAY_PAIRS" --rate "$RELAY_RATE" --duration_s "$DUR_S"
  [ $sys = signaling ] && run $sys relay_throughput_proto --scenario relay --subprotocol proto \
    --pairs "$RELAY_PAIRS" --rate "$RELAY_RATE" --duration_s "$DUR_S"
  run $sys churn --scenario churn --concurrency "$CHURN_C" --duration_s "$DUR_S"
done

jq -s '{generated: (now | todate), command: $cmd, env: $env, limits: $limits, runs: .}' \
  --arg cmd "$CMD" --arg env "$ENV_LINE" --arg limits "$LIMITS_NOTE" "$RESULTS" >"$DOCS/results.json"

# ---------------------------------------------------------------- report
R="$DOCS/results.json"
q() { jq -r --arg s "$1" --arg l "$2" ".runs[] | select(.system==\$s and .label==\$l) | $3" "$R" | head -1; }
maxrate() {  # highest ramp rate meeting the pairing criteria
  jq -r --arg s "$1" '[.runs[] | select(.system==$s and (.label|startswith("ramp_"))) |
    select(.errors==0 and .incomplete==0 and .dropped_starts==0 and .time_to_answer_us.p99<=50000 and .achieved_rate>=0.9*.offered_rate) |
    .offered_rate] | max // 0' "$R"
}
fmt() { printf "%.0f" "${1:-0}"; }
verdict() { if [ "$(echo "$1" | bc -l)" = 1 ]; then echo "**met**"; else echo "**not met**"; fi; }

for s in signaling peerjs; do
  jq -r --arg s "$s" '.runs[] | select(.system==$s and (.label|startswith("ramp_"))) |
    "\(.offered_rate) \(.time_to_answer_us.p50/1000) \(.time_to_answer_us.p99/1000) \(.achieved_rate)"' "$R" >"$OUT/ramp_$s.dat"
  jq -r --arg s "$s" '.runs[] | select(.system==$s and .label=="relay_latency") | .one_way_latency_us |
    "p50 \(.p50)\np90 \(.p90)\np99 \(.p99)\np99.9 \(.p999)\nmax \(.max)"' "$R" >"$OUT/lat_$s.dat"
done
gnuplot <<EOF
set terminal pngcairo size 800,500 noenhanced
set output "$DOCS/pairing_ramp.png"
set title "Pairing: time-to-answer vs offered rate (open loop)"
set xlabel "offered pairs/s"; set ylabel "ms"; set logscale x 2; set grid; set key top left
plot "$OUT/ramp_signaling.dat" u 1:3 w lp t "signaling p99", "$OUT/ramp_signaling.dat" u 1:2 w lp t "signaling p50", \
     "$OUT/ramp_peerjs.dat" u 1:3 w lp t "PeerJS p99", "$OUT/ramp_peerjs.dat" u 1:2 w lp t "PeerJS p50", 50 w l dt 2 t "50 ms target"
set output "$DOCS/relay_latency.png"
unset logscale; set logscale y 10
set title "Relay one-way latency, unloaded ($LAT_PAIRS pairs, $LAT_RATE msg/s, ~1 KB candidates)"
set xlabel "percentile"; set ylabel "microseconds"; set style data histograms; set style fill solid 0.8; set boxwidth 0.9
plot "$OUT/lat_signaling.dat" u 2:xtic(1) t "signaling (JSON)", "$OUT/lat_peerjs.dat" u 2 t "PeerJS"
EOF

S_RELAY=$(q signaling relay_throughput .received_per_server_cpu_s); P_RELAY=$(q peerjs relay_throughput .received_per_server_cpu_s)
S_RELAYP=$(q signaling relay_throughput_proto .received_per_server_cpu_s)
S_MAX=$(maxrate signaling); P_MAX=$(maxrate peerjs)
S_IDLE_N=$(q signaling idle .joined_at_hold_end); P_IDLE_N=$(q peerjs idle .joined_at_hold_end)
S_IDLE_RSS=$(q signaling idle .server.hold_rss_kib.at_hold_end); S_IDLE_RSS0=$(q signaling idle .rss_baseline_kib)
P_IDLE_RSS=$(q peerjs idle .server.hold_rss_kib.at_hold_end); P_IDLE_RSS0=$(q peerjs idle .rss_baseline_kib)
per() { echo "scale=2; ($1) / ($2)" | bc; }
S_PER=$(per "$S_IDLE_RSS - $S_IDLE_RSS0" "${S_IDLE_N:-1}"); S_PER_TOT=$(per "$S_IDLE_RSS" "${S_IDLE_N:-1}")
P_PER=$(per "$P_IDLE_RSS - $P_IDLE_RSS0" "${P_IDLE_N:-1}")
S_L50=$(q signaling relay_latency .one_way_latency_us.p50); S_L99=$(q signaling relay_latency .one_way_latency_us.p99)
row() {  # label, jq expr, unit-format
  printf "| %s | %s | %s |\n" "$1" "$(q signaling "$2" "$3")" "$(q peerjs "$2" "$3")"
}
MD="$ROOT/docs/benchmarks.md"
{
cat <<EOF
# Benchmarks: signaling vs PeerJS server 1.0.2

Generated by \`bench/run.sh\` on $(date -u +%Y-%m-%dT%H:%MZ); raw figures in
[bench/results.json](bench/results.json). Everything runs on one machine over
loopback: the services, PeerJS and the load generator (\`signaling-loadgen\`,
$LG_THREADS threads, sockets spread over 127.0.0.2–127.0.0.9) share the same cores,
so absolute numbers are pessimistic and noisy; the side-by-side ratios are the point.

- Command: \`$ENV_LINE $CMD\`
- Commit: \`$(git rev-parse HEAD)\`$(git diff --quiet HEAD -- services gateway common proto || echo " (working tree has uncommitted changes in services/gateway/common)")
- Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM, $(uname -sr)
- Our services: Release build, dev mode (plain ws, plaintext gRPC), JSON subprotocol unless noted.
  Limits raised for load, protections still on: $LIMITS_NOTE.
- PeerJS: \`peer@1.0.2\` from npm, \`PeerServer({key:'peerjs', concurrent_limit:1000000, alive_timeout:600000})\` (bench/peerjs-server.cjs), one Node $(node --version) process.
- Server CPU = utime+stime from /proc/<pid>/stat of all server processes (gateway+matching+auth; node) over the measured window; RSS = VmRSS from /proc/<pid>/status.
- Fresh server processes for every run. Latencies from a log-linear histogram (≤1.6% bucket error), in µs.

## Targets

| target | signaling | PeerJS | result |
|---|---|---|---|
| relay throughput per server CPU-second ≥ 2× PeerJS | $(fmt "$S_RELAY") msg/CPU-s (proto: $(fmt "$S_RELAYP")) | $(fmt "$P_RELAY") msg/CPU-s | $(verdict "$S_RELAY >= 2 * $P_RELAY") ($(echo "scale=2; $S_RELAY / $P_RELAY" | bc)×) |
| max pairing rate with p99 time-to-answer ≤ 50 ms ≥ 2× PeerJS | $S_MAX pairs/s | $P_MAX pairs/s | $(if [ "$P_MAX" = 0 ] && [ "$S_MAX" = 0 ]; then echo "**not met** (neither passes the lowest step)"; else verdict "$S_MAX >= 2 * $P_MAX"; fi) |
| idle ≥ 100,000 sessions at ≤ 10 KiB RSS/session (our processes) | $S_IDLE_N sessions held (IDLE_N=$IDLE_N), $S_PER KiB/session above baseline ($S_PER_TOT KiB/session total RSS) | $P_IDLE_N sessions, $P_PER KiB/session above baseline | per-session RSS $(verdict "$S_PER <= 10"); 100,000 sessions $( [ "${S_IDLE_N:-0}" -ge 100000 ] && echo "**met**" || echo "**not verified** at this size (run IDLE_N=100000)") |
| unloaded one-way relay latency p50 ≤ 250 µs | $(fmt "$S_L50") µs | $(fmt "$(q peerjs relay_latency .one_way_latency_us.p50)") µs | $(verdict "$S_L50 <= 250") |
| unloaded one-way relay latency p99 ≤ 1 ms | $(fmt "$S_L99") µs | $(fmt "$(q peerjs relay_latency .one_way_latency_us.p99)") µs | $(verdict "$S_L99 <= 1000") |

## Idle (ramp to IDLE_N joined acceptors, hold ${IDLE_HOLD_S} s)

| figure | signaling | PeerJS |
|---|---|---|
EOF
row "joined at end of hold" idle .joined_at_hold_end
row "ramp time (s)" idle '.ramp_s*100|round/100'
row "time-to-joined p50 / p99 (µs)" idle '"\(.time_to_joined_us.p50|round) / \(.time_to_joined_us.p99|round)"'
row "server RSS before / during hold (KiB)" idle '"\(.rss_baseline_kib) / \(.server.hold_rss_kib.at_hold_end)"'
row "errors" idle .errors
cat <<EOF

## Pairing (open loop, $PAIR_RATE pairs/s for ${DUR_S} s)

Per pair: acceptor connects and joins; offerer connects and joins; paired; 3 KB offer, 3 KB answer,
4 candidates each way; leave. *Time-to-answer* runs from the offerer's completed WebSocket upgrade
(its join is sent then; for PeerJS the server's OPEN follows) to the answer arriving at the offerer.
*Start-to-answer* runs from the pair's scheduled start (both connects and joins included).

| figure | signaling | PeerJS |
|---|---|---|
EOF
row "completed pairs / achieved pairs/s" pairing '"\(.completed_pairs) / \(.achieved_rate*10|round/10)"'
row "time-to-answer p50 / p90 / p99 / p99.9 / max (µs)" pairing '.time_to_answer_us | "\(.p50|round) / \(.p90|round) / \(.p99|round) / \(.p999|round) / \(.max|round)"'
row "start-to-answer p50 / p99 (µs)" pairing '.start_to_answer_us | "\(.p50|round) / \(.p99|round)"'
row "server CPU-s (window)" pairing '.server.cpu_s*100|round/100'
row "errors / incomplete" pairing '"\(.errors) / \(.incomplete)"'
cat <<EOF

### Ramp ($STEP_S s per step; stops after the first step that fails: errors, incomplete pairs, <90% of offered rate, or p99 > 50 ms)

| offered pairs/s | signaling achieved, p50 / p99 TTA (ms) | PeerJS achieved, p50 / p99 TTA (ms) |
|---|---|---|
EOF
for r in $PAIR_RAMP; do
  a=$(q signaling "ramp_$r" '"\(.achieved_rate|round), \(.time_to_answer_us.p50/100|round/10) / \(.time_to_answer_us.p99/100|round/10), err \(.errors)"')
  b=$(q peerjs "ramp_$r" '"\(.achieved_rate|round), \(.time_to_answer_us.p50/100|round/10) / \(.time_to_answer_us.p99/100|round/10), err \(.errors)"')
  [ -z "$a$b" ] && break
  echo "| $r | ${a:-—} | ${b:-—} |"
done
cat <<EOF

![pairing ramp](bench/pairing_ramp.png)

## Relay (paired sessions sending ~1 KB timestamped ICE candidates, open loop)

The candidate stays valid RFC 8839 (\`candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host generation 0 ts <nanos> x-pad0 …\`);
latency = receive time − embedded send time (same monotonic clock), so it is one-way through the server.

| figure | signaling | PeerJS |
|---|---|---|
EOF
row "unloaded ($LAT_PAIRS pairs, $LAT_RATE msg/s): p50 / p90 / p99 / p99.9 / max (µs)" relay_latency '.one_way_latency_us | "\(.p50|round) / \(.p90|round) / \(.p99|round) / \(.p999|round) / \(.max|round)"'
row "loaded ($RELAY_PAIRS pairs, $RELAY_RATE msg/s): delivered msg/s" relay_throughput '.achieved_rate|round'
row "loaded: p50 / p99 / max (µs)" relay_throughput '.one_way_latency_us | "\(.p50|round) / \(.p99|round) / \(.max|round)"'
row "loaded: server CPU-s in the window" relay_throughput '.server.cpu_s*100|round/100'
row "loaded: messages per server CPU-second" relay_throughput '.received_per_server_cpu_s|round'
row "errors" relay_throughput .errors
cat <<EOF
| protobuf subprotocol, loaded: delivered msg/s, msg per CPU-s, p99 (µs), errors | $(q signaling relay_throughput_proto '"\(.achieved_rate|round), \(.received_per_server_cpu_s|round), \(.one_way_latency_us.p99|round), \(.errors) \(.error_kinds|tostring)"') | — |

![relay latency](bench/relay_latency.png)

## Churn (closed loop: connect → join → close, $CHURN_C concurrent loops, ${DUR_S} s)

| figure | signaling | PeerJS |
|---|---|---|
EOF
row "sessions/s" churn '.sessions_per_s|round'
row "time-to-joined p50 / p99 (µs)" churn '.time_to_joined_us | "\(.p50|round) / \(.p99|round)"'
row "server CPU-s (window)" churn '.server.cpu_s*100|round/100'
row "errors" churn .errors
cat <<EOF

## Caveats

- PeerJS does far less per message than our stack: no authentication, no pairing state, no SDP/ICE
  validation, one process; our path is client → gateway → gRPC → matching → gRPC → gateway → client.
- Load generator and servers share $(nproc) cores; a saturated loadgen inflates latencies for both.
- Scale up with e.g. \`IDLE_N=100000 bench/run.sh\` (needs ~2 GB free RAM and the fd limits this
  script raises; the loadgen spreads sockets over 8 loopback source addresses).

What bounds each figure, with profiles, and what would lift it: [performance.md](performance.md).
EOF
} >"$MD"
echo "== wrote $MD, $R, $DOCS/*.png"
