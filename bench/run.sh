#!/usr/bin/env bash
# Benchmarks our signaling services against PeerJS server 1.0.2 on loopback
# and writes docs/benchmarks.md, docs/bench/results.json and docs/bench/*.png;
# then runs bench/cluster.sh (docs/bench/cluster.{json,md}).
# Sizes (env): IDLE_SIZES ("10000 50000 100000"), IDLE_HOLD_S (5), PAIR_RATE (50),
# PAIR_RAMP ("25 50 100 200 400 600 800 1000 1200 1600 2000 2400 3200"), STEP_S (4), RELAY_PAIRS (1000),
# RELAY_RAMP ("2000 4000 8000 12000 16000 24000 32000 40000"), LAT_PAIRS (10),
# LAT_RATE (200), CHURN_C (16), DUR_S (5), LG_THREADS (2), JOBS (2).
set -euo pipefail
. "$(dirname "$0")/lib.sh"   # ROOT (the working directory), B, OUT, DOCS, LG, KEY, limits, start_*
CMD="$0 $*"
IDLE_SIZES=${IDLE_SIZES:-"10000 50000 100000"}; IDLE_HOLD_S=${IDLE_HOLD_S:-5}; PAIR_RATE=${PAIR_RATE:-50}
PAIR_RAMP=${PAIR_RAMP:-"25 50 100 200 400 600 800 1000 1200 1600 2000 2400 3200"}; STEP_S=${STEP_S:-4}
RELAY_PAIRS=${RELAY_PAIRS:-1000}; RELAY_RAMP=${RELAY_RAMP:-"2000 4000 8000 12000 16000 24000 32000 40000"}
LAT_PAIRS=${LAT_PAIRS:-10}; LAT_RATE=${LAT_RATE:-200}; IDLE_SHARD=${IDLE_SHARD:-15000}; CHURN_C=${CHURN_C:-16}
DUR_S=${DUR_S:-5}; LG_THREADS=${LG_THREADS:-2}
ENV_LINE="IDLE_SIZES=\"$IDLE_SIZES\" IDLE_HOLD_S=$IDLE_HOLD_S PAIR_RATE=$PAIR_RATE PAIR_RAMP=\"$PAIR_RAMP\" STEP_S=$STEP_S RELAY_PAIRS=$RELAY_PAIRS RELAY_RAMP=\"$RELAY_RAMP\" LAT_PAIRS=$LAT_PAIRS LAT_RATE=$LAT_RATE IDLE_SHARD=$IDLE_SHARD CHURN_C=$CHURN_C DUR_S=$DUR_S LG_THREADS=$LG_THREADS"

build_bench
command -v gnuplot >/dev/null || { echo "== installing gnuplot-nox"; apt-get install -y gnuplot-nox >/dev/null; }
if [ "$(node -p "require('$ROOT/bench/peerjs/node_modules/peer/package.json').version" 2>/dev/null)" != 1.0.2 ]; then
  echo "== npm install peer@1.0.2"
  npm install --prefix "$ROOT/bench/peerjs" peer@1.0.2 >/dev/null
fi

PORT=0; PORTS=()
# start_ours [GATEWAYS]: auth, matching and GATEWAYS (1) gateway processes;
# PORT is the first gateway's port, PORTS all of them.
start_ours() {
  local i
  PORTS=()
  start_auth
  start_matching "127.0.0.1:$(free_port)" matching
  for i in $(seq "${1:-1}"); do
    start_gateway "$MATCHING_LISTEN" "gateway$i"
    PORTS+=("$GW_PORT")
  done
  PORT=${PORTS[0]}
  sleep 0.3
}
start_peerjs() {
  PORT=$(free_port); PORTS=("$PORT")
  node "$ROOT/bench/peerjs-server.cjs" "$PORT" >"$OUT/peerjs.log" 2>&1 &
  PIDS="$!"
  wait_port "$PORT"; sleep 0.3
}

RESULTS="$OUT/results.jsonl"; : >"$RESULTS"
# run SYSTEM LABEL loadgen-args...: one loadgen run against fresh servers.
# With WARMUP=1 the same run goes first, unmeasured, on the same servers
# (the churn scenario: cold-start growth vs growth over a run).
run() {
  local sys=$1 label=$2 rss1 cold; shift 2
  if [ "$sys" = peerjs ]; then start_peerjs; else start_ours; fi
  local rss0 cpu0 cpu1 res args=(--port "$PORT" --threads "$LG_THREADS" --server_pids "${PIDS// /,}")
  [ "$sys" = peerjs ] && args+=(--target peerjs) || args+=(--key_file "$KEY" --kid dev)
  cold=$(rss_kib "$PIDS")
  if [ "${WARMUP:-0}" = 1 ]; then "$LG" "${args[@]}" "$@" >/dev/null 2>&1; sleep 1; fi
  rss0=$(rss_kib "$PIDS"); cpu0=$(cpu_s "$PIDS")
  res=$("$LG" "${args[@]}" "$@" 2>"$OUT/loadgen.err")
  cpu1=$(cpu_s "$PIDS")
  sleep 1; rss1=$(rss_kib "$PIDS")  # settled, every client gone
  echo "$res" | jq -c --arg sys "$sys" --arg lbl "$label" --argjson cold "$cold" --argjson rss0 "$rss0" --argjson rss1 "$rss1" \
    --argjson cpu "$(echo "$cpu1 - $cpu0" | bc)" --arg args "$*" \
    '. + {system:$sys, "label":$lbl, args:$args, rss_cold_kib:$cold, rss_baseline_kib:$rss0, rss_after_kib:$rss1, server_cpu_s_whole_run:$cpu}' >>"$RESULTS"
  echo "   $sys $label: $(echo "$res" | jq -c '{errors, achieved_rate, completed_pairs, received, sessions_per_s, joined_at_end}')"
  stop_servers
}

# run_idle SYSTEM N: N idle joined acceptors. One process holds at most
# IDLE_SHARD sockets (the descriptor limit), so the load is spread over
# ceil(N / IDLE_SHARD) loadgens and, for our system, as many gateways (it is
# stateless and scales out; PeerJS is one process by design). Memory and CPU
# are sampled once every loadgen holds its share, over IDLE_HOLD_S.
run_idle() {
  local sys=$1 n=$2 shards i share lgs=() rss0 rss1 rss2 cpu1 cpu2 until="$OUT/idle.release"
  shards=$(( (n + IDLE_SHARD - 1) / IDLE_SHARD ))
  if [ "$sys" = peerjs ]; then start_peerjs; else start_ours "$shards"; fi
  local args=(--threads 1 --scenario idle --concurrency $(( 256 / shards + 1 )) --duration_s 120 --hold_until_file "$until")
  [ "$sys" = peerjs ] && args+=(--target peerjs) || args+=(--key_file "$KEY" --kid dev)
  rm -f "$until"; rss0=$(rss_kib "$PIDS")
  for i in $(seq 0 $((shards - 1))); do
    share=$(( n / shards + (i < n % shards ? 1 : 0) ))
    "$LG" "${args[@]}" --port "${PORTS[$((i % ${#PORTS[@]}))]}" --sessions "$share" >"$OUT/idle_$i.json" 2>"$OUT/idle_$i.err" &
    lgs+=($!)
  done
  for _ in $(seq 1500); do  # every loadgen holds (or has given up)
    [ "$(cat "$OUT"/idle_*.err 2>/dev/null | grep -c HOLDING)" -ge "$shards" ] && break
    sleep 0.1
  done
  rss1=$(rss_kib "$PIDS"); cpu1=$(cpu_s "$PIDS")
  sleep "$IDLE_HOLD_S"
  rss2=$(rss_kib "$PIDS"); cpu2=$(cpu_s "$PIDS")
  touch "$until"
  wait "${lgs[@]}" || true
  jq -s -c --arg sys "$sys" --arg lbl "idle_$n" --argjson n "$n" --argjson shards "$shards" \
    --argjson rss0 "$rss0" --argjson rss1 "$rss1" --argjson rss2 "$rss2" \
    --argjson cpu "$(echo "$cpu2 - $cpu1" | bc)" \
    '{system:$sys, label:$lbl, scenario:"idle", target_sessions:$n, processes:$shards,
      joined_at_hold_end: (map(.joined_at_hold_end) | add), errors: (map(.errors) | add),
      error_kinds: (map(.error_kinds) | add), ramp_s: (map(.ramp_s) | max),
      time_to_joined_us: {p50: (map(.time_to_joined_us.p50) | max), p99: (map(.time_to_joined_us.p99) | max)},
      rss_baseline_kib:$rss0, server: {cpu_s:$cpu, hold_rss_kib: {at_hold_start:$rss1, at_hold_end:$rss2}}}' \
    "$OUT"/idle_[0-9]*.json >>"$RESULTS"
  rm -f "$OUT"/idle_[0-9]*.json "$OUT"/idle_*.err "$until"
  echo "   $sys idle_$n: $(tail -1 "$RESULTS" | jq -c '{errors, joined_at_hold_end, processes}')"
  stop_servers
}

# passes RUN-JSON CONDITION: the last run met the step's criteria.
passes() { tail -1 "$RESULTS" | jq -e "$1" >/dev/null; }
PAIR_OK='.errors == 0 and .incomplete == 0 and .dropped_starts == 0 and .time_to_answer_us.p99 <= 50000 and .achieved_rate >= 0.9 * .offered_rate'
RELAY_OK='.errors == 0 and .pairs_ready == .pairs and .achieved_rate >= 0.95 * .offered_rate and .one_way_latency_us.p99 <= 50000'
for sys in signaling peerjs; do
  echo "== $sys"
  for n in $IDLE_SIZES; do
    run_idle $sys "$n"
    passes ".errors == 0 and .joined_at_hold_end == $n" || break  # the machine does not allow more
  done
  run $sys pairing --scenario pairing --rate "$PAIR_RATE" --duration_s "$DUR_S"
  for r in $PAIR_RAMP; do
    run $sys "ramp_$r" --scenario pairing --rate "$r" --duration_s "$STEP_S" --drain_s 3
    passes "$PAIR_OK" || break  # past the knee
  done
  run $sys relay_latency --scenario relay --pairs "$LAT_PAIRS" --rate "$LAT_RATE" --duration_s "$DUR_S"
  # Relay maximum: the highest offered rate still delivered (>= 95%, no errors)
  # without queueing (p99 one-way <= 50 ms, the pairing criterion).
  max=0
  for r in $RELAY_RAMP; do
    run $sys "relay_$r" --scenario relay --pairs "$RELAY_PAIRS" --rate "$r" --duration_s "$DUR_S"
    passes "$RELAY_OK" || break
    max=$r
  done
  for pct in 10 50 80; do
    [ "$max" -gt 0 ] && run $sys "relay_at_$pct" --scenario relay --pairs "$RELAY_PAIRS" \
      --rate $((max * pct / 100)) --duration_s "$DUR_S"
  done
  [ $sys = signaling ] && [ "$max" -gt 0 ] && run $sys relay_max_proto --scenario relay --subprotocol proto \
    --pairs "$RELAY_PAIRS" --rate "$max" --duration_s "$DUR_S"
  WARMUP=1 run $sys churn --scenario churn --concurrency "$CHURN_C" --duration_s "$DUR_S"
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

relaymax() {  # highest relay ramp rate delivered (>= 95%, no errors, p99 <= 50 ms)
  jq -r --arg s "$1" '[.runs[] | select(.system==$s and (.label|test("^relay_[0-9]+$"))) |
    select(.errors==0 and .pairs_ready==.pairs and .achieved_rate>=0.95*.offered_rate and .one_way_latency_us.p99<=50000) | .offered_rate] | max // 0' "$R"
}
idlemax() {  # largest idle size held in full, without errors
  jq -r --arg s "$1" '[.runs[] | select(.system==$s and (.label|startswith("idle_"))) |
    select(.errors==0 and .joined_at_hold_end==.target_sessions) | .target_sessions] | max // 0' "$R"
}
S_RMAX=$(relaymax signaling); P_RMAX=$(relaymax peerjs)
S_RELAY=$(q signaling "relay_$S_RMAX" '.received_per_server_cpu_s // 0'); P_RELAY=$(q peerjs "relay_$P_RMAX" '.received_per_server_cpu_s // 0')
S_RELAYP=$(q signaling relay_max_proto '.received_per_server_cpu_s // 0')
S_MAX=$(maxrate signaling); P_MAX=$(maxrate peerjs)
S_IDLE_N=$(idlemax signaling); P_IDLE_N=$(idlemax peerjs)
# KiB of server RSS per held session above the baseline, for an idle run.
KPER='((.server.hold_rss_kib.at_hold_end - .rss_baseline_kib) / .target_sessions * 100 | round / 100)'
idle_per() { q "$1" "idle_$2" "$KPER"; }  # system, size
# steps PREFIX "VALUES" FORMAT: a table row per step either system ran.
steps() {
  local v a b
  for v in $2; do
    a=$(q signaling "$1$v" "$3"); b=$(q peerjs "$1$v" "$3")
    [ -z "$a$b" ] && break
    echo "| $v | ${a:-—} | ${b:-—} |"
  done
}
S_PER=$(idle_per signaling "$S_IDLE_N"); P_PER=$(idle_per peerjs "$P_IDLE_N")
S_PER_TOT=$(q signaling "idle_$S_IDLE_N" '(.server.hold_rss_kib.at_hold_end / .target_sessions * 100 | round / 100)')
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
| relay throughput per server CPU-second ≥ 2× PeerJS (at each one's maximum, $RELAY_PAIRS pairs) | $(fmt "$S_RELAY") msg/CPU-s at $S_RMAX msg/s (proto: $(fmt "$S_RELAYP")) | $(fmt "$P_RELAY") msg/CPU-s at $P_RMAX msg/s | $(verdict "$S_RELAY >= 2 * $P_RELAY") ($(echo "scale=2; $S_RELAY / $P_RELAY" | bc)×) |
| max pairing rate with p99 time-to-answer ≤ 50 ms ≥ 2× PeerJS | $S_MAX pairs/s | $P_MAX pairs/s | $(if [ "$P_MAX" = 0 ] && [ "$S_MAX" = 0 ]; then echo "**not met** (neither passes the lowest step)"; else verdict "$S_MAX >= 2 * $P_MAX"; fi) |
| idle ≥ 100,000 sessions at ≤ 10 KiB RSS/session (our processes) | $S_IDLE_N sessions held, $S_PER KiB/session above baseline ($S_PER_TOT KiB/session total RSS) | $P_IDLE_N sessions held, $P_PER KiB/session above baseline | per-session RSS $(verdict "$S_PER <= 10"); 100,000 sessions $(verdict "$S_IDLE_N >= 100000") |
| unloaded one-way relay latency p50 ≤ 250 µs | $(fmt "$S_L50") µs | $(fmt "$(q peerjs relay_latency .one_way_latency_us.p50)") µs | $(verdict "$S_L50 <= 250") |
| unloaded one-way relay latency p99 ≤ 1 ms | $(fmt "$S_L99") µs | $(fmt "$(q peerjs relay_latency .one_way_latency_us.p99)") µs | $(verdict "$S_L99 <= 1000") |

## Idle (ramp to N joined acceptors, 256 connecting at a time, hold ${IDLE_HOLD_S} s; stops at the first size not held)

One process holds at most $IDLE_SHARD sockets here (the hard descriptor limit is $(ulimit -Hn)), so the
sessions are spread over ceil(N / $IDLE_SHARD) load generators and, for our system, as many gateway
processes in front of the one matching service (the gateway is stateless and scales out). PeerJS
is a single process by design. RSS is summed over every server process.

| sessions | signaling: joined, KiB/session above baseline, RSS before / during (KiB), CPU-s over the hold, ramp s, gateways | PeerJS: same |
|---|---|---|
EOF
steps idle_ "$IDLE_SIZES" '"\(.joined_at_hold_end), \('"$KPER"'), \(.rss_baseline_kib) / \(.server.hold_rss_kib.at_hold_end), \(.server.cpu_s*100|round/100), \(.ramp_s*10|round/10), \(.processes), err \(.errors)"'
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
steps ramp_ "$PAIR_RAMP" '"\(.achieved_rate|round), \(.time_to_answer_us.p50/100|round/10) / \(.time_to_answer_us.p99/100|round/10), err \(.errors)"'
cat <<EOF

![pairing ramp](bench/pairing_ramp.png)

## Relay (paired sessions sending ~1 KB timestamped ICE candidates, open loop)

The candidate stays valid RFC 8839 (\`candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host generation 0 ts <nanos> x-pad0 …\`);
latency = receive time − embedded send time (same monotonic clock), so it is one-way through the server.

| figure | signaling | PeerJS |
|---|---|---|
EOF
row "unloaded ($LAT_PAIRS pairs, $LAT_RATE msg/s): p50 / p90 / p99 / p99.9 / max (µs)" relay_latency '.one_way_latency_us | "\(.p50|round) / \(.p90|round) / \(.p99|round) / \(.p999|round) / \(.max|round)"'
cat <<EOF

### Ramp to the maximum ($RELAY_PAIRS paired sessions, ${DUR_S} s per step; stops at the first step delivering < 95%, with errors or with p99 > 50 ms)

| offered msg/s | signaling: delivered msg/s, msg per server CPU-s, p50 / p99 (µs) | PeerJS: same |
|---|---|---|
EOF
steps relay_ "$RELAY_RAMP" '"\(.achieved_rate|round), \(.received_per_server_cpu_s // 0|round), \(.one_way_latency_us.p50|round) / \(.one_way_latency_us.p99|round), err \(.errors)"'
cat <<EOF

Maximum: signaling $S_RMAX msg/s, PeerJS $P_RMAX msg/s. Latency at fractions of each one's own maximum:

| load | signaling: msg/s, p50 / p90 / p99 / p99.9 / max (µs), msg per CPU-s | PeerJS: same |
|---|---|---|
EOF
for pct in 10 50 80; do
  f='"\(.achieved_rate|round), \(.one_way_latency_us | "\(.p50|round) / \(.p90|round) / \(.p99|round) / \(.p999|round) / \(.max|round)"), \(.received_per_server_cpu_s // 0|round)"'
  echo "| $pct% | $(q signaling "relay_at_$pct" "$f") | $(q peerjs "relay_at_$pct" "$f") |"
done
cat <<EOF
| protobuf subprotocol at the JSON maximum: delivered msg/s, msg per CPU-s, p99 (µs), errors | $(q signaling relay_max_proto '"\(.achieved_rate|round), \(.received_per_server_cpu_s // 0|round), \(.one_way_latency_us.p99|round), \(.errors) \(.error_kinds|tostring)"') | — |

![relay latency](bench/relay_latency.png)

## Churn (closed loop: connect → join → close, $CHURN_C concurrent loops, ${DUR_S} s)

The same run goes twice on the same server processes; the first is not measured. RSS is reported
against the cold start (one-time growth: allocator arenas, pools, caches) and across the measured
run (growth that would accumulate).

| figure | signaling | PeerJS |
|---|---|---|
EOF
row "sessions/s" churn '.sessions_per_s|round'
row "time-to-joined p50 / p99 (µs)" churn '.time_to_joined_us | "\(.p50|round) / \(.p99|round)"'
row "server CPU-s (window)" churn '.server.cpu_s*100|round/100'
row "server RSS at start / after a first, unmeasured run (KiB)" churn '"\(.rss_cold_kib) / \(.rss_baseline_kib) (cold-start growth \((.rss_baseline_kib / .rss_cold_kib - 1) * 1000 | round / 10)%)"'
row "server RSS before / 1 s after the measured run (KiB), change (target: within 10%)" churn '"\(.rss_baseline_kib) / \(.rss_after_kib) (\((.rss_after_kib / .rss_baseline_kib - 1) * 1000 | round / 10)%)"'
row "errors" churn .errors
cat <<EOF

## Caveats

- PeerJS does far less per message than our stack: no authentication, no pairing state, no SDP/ICE
  validation, one process; our path is client → gateway → gRPC → matching → gRPC → gateway → client.
- Load generator and servers share $(nproc) cores; a saturated loadgen inflates latencies for both.
- The idle sizes need the descriptor limits this script raises (as root) and a few GB of RAM;
  the loadgen spreads its sockets over 8 loopback source addresses.

What bounds each figure, with profiles, and what would lift it: [performance.md](performance.md).
Two matching replicas against one (extra CPU and latency per pairing and per relayed message, offerers on the other replica): [bench/cluster.md](bench/cluster.md) (written by \`bench/cluster.sh\`, which \`bench/run.sh\` runs last).
EOF
} >"$MD"
echo "== wrote $MD, $R, $DOCS/*.png"

echo "== cluster: one replica vs two (bench/cluster.sh)"
SKIP_BUILD=1 "$ROOT/bench/cluster.sh"
