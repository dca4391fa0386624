#!/usr/bin/env bash
# The cluster benchmark (issue 10): what two matching replicas sharing their
# ids through Redis cost against one, per pairing and per relayed message,
# side by side in one run; writes docs/bench/cluster.json and cluster.md.
# Three set-ups, fresh server processes for every run:
#   one    auth, one replica (no Redis), gateway A (acceptors), gateway O (offerers)
#   cross  redis-server, auth, replicas r1 and r2; A lists r1,r2 and O r2,r1
#   same   as cross, but O lists r1,r2 (the control: each offerer lands
#          where its acceptor is, nothing moves)
# Each gateway hands its new connections to its serving replicas in turn
# (gateway/relay_pool.cc Pick()), and the loadgen runs one thread and sets
# relay pairs up one at a time, so acceptor k reaches A k-th and offerer k
# reaches O k-th: in `cross` offerer k first lands on the other replica than
# acceptor k and is moved to it (docs/scaling.md); jitter in the open-loop
# pairing run can swap neighbours, so the fraction moved is measured, from
# the replicas' signaling_matching_redirects_total against their
# signaling_matching_pairings_started_total. One gateway in `one` would put
# acceptors and offerers on one process; both set-ups run two so that only
# the matching side differs.
# Env: CLUSTER_PAIR_RATE (200), CLUSTER_DUR_S (5), CLUSTER_RELAY_PAIRS (1000),
# CLUSTER_RELAY_RATE (4000), CLUSTER_LAT_PAIRS (10), CLUSTER_LAT_RATE (200),
# CLUSTER_REPEAT (3: every run, interleaved; the report takes medians),
# CLUSTER_SETUPS ("one cross same"), CLUSTER_DOCS (docs/bench: where the
# two files go), SKIP_BUILD, BENCH_BUILD, BENCH_OUT, JOBS (bench/lib.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
PAIR_RATE=${CLUSTER_PAIR_RATE:-200}; DUR_S=${CLUSTER_DUR_S:-5}; RELAY_PAIRS=${CLUSTER_RELAY_PAIRS:-1000}
RELAY_RATE=${CLUSTER_RELAY_RATE:-4000}; LAT_PAIRS=${CLUSTER_LAT_PAIRS:-10}; LAT_RATE=${CLUSTER_LAT_RATE:-200}
REPEAT=${CLUSTER_REPEAT:-3}; SETUPS=${CLUSTER_SETUPS:-"one cross same"}; CDOCS=${CLUSTER_DOCS:-$DOCS}; mkdir -p "$CDOCS"
CMD="CLUSTER_PAIR_RATE=$PAIR_RATE CLUSTER_DUR_S=$DUR_S CLUSTER_RELAY_PAIRS=$RELAY_PAIRS CLUSTER_RELAY_RATE=$RELAY_RATE CLUSTER_LAT_PAIRS=$LAT_PAIRS CLUSTER_LAT_RATE=$LAT_RATE CLUSTER_REPEAT=$REPEAT CLUSTER_SETUPS=\"$SETUPS\" bench/cluster.sh"
command -v redis-server >/dev/null || { echo "redis-server is needed (scripts/install-deps.sh)" >&2; exit 1; }
LOAD_BEFORE=$(uptime)
build_bench

metric() {  # ADMIN-PORT NAME: the value of an unlabelled metric
  curl -sf "http://127.0.0.1:$1/metrics" | awk -v n="$2" '$1 == n { print $2 + 0 }'
}
metric_sum() {  # NAME: summed over this run's replicas
  local a t=0
  for a in "${REPLICA_ADMINS[@]}"; do t=$((t + $(metric "$a" "$1"))); done
  echo $t
}
wait_ready() {  # ADMIN-PORT NAME VALUE: until the metric reads VALUE (10 s)
  for _ in $(seq 100); do [ "$(metric "$1" "$2")" = "$3" ] && return 0; sleep 0.1; done
  echo "admin :$1: $2 never reached $3" >&2; return 1
}
ROLES=()  # "name:pid" of this run's server processes
named() { ROLES+=("$1:${PIDS%% *}"); }  # names the process started last
cpu_by_process() {  # {"name": CPU-s so far} (utime+stime)
  local e
  for e in "${ROLES[@]}"; do
    awk -v n="${e%%:*}" -v t="$(getconf CLK_TCK)" '{ printf "%s %.2f\n", n, ($14 + $15) / t }' "/proc/${e##*:}/stat"
  done | jq -Rn '[inputs | split(" ") | {key: .[0], value: (.[1] | tonumber)}] | from_entries'
}

# start_setup one|cross|same: fresh processes; ACC_PORT and OFF_PORT are
# the acceptors' and the offerers' gateways, REPLICA_ADMINS the replicas'
# admin ports.
start_setup() {
  local r1 r2 rp t2
  REPLICA_ADMINS=(); ROLES=()
  r1="127.0.0.1:$(free_port)"; r2="127.0.0.1:$(free_port)"
  if [ "$1" = one ]; then
    start_auth; named auth
    start_matching "$r1" replica1; named replica1; REPLICA_ADMINS+=("$MATCHING_ADMIN")
    r2=$r1
  else
    rp=$(free_port)
    redis-server --port "$rp" --bind 127.0.0.1 --save "" --appendonly no --dir "$OUT" \
      >"$OUT/redis.log" 2>&1 &
    PIDS="$! $PIDS"; named redis
    wait_port "$rp"
    start_auth; named auth
    start_matching "$r1" replica1 --redis "127.0.0.1:$rp" --advertise "$r1"; named replica1
    REPLICA_ADMINS+=("$MATCHING_ADMIN")
    start_matching "$r2" replica2 --redis "127.0.0.1:$rp" --advertise "$r2"; named replica2
    REPLICA_ADMINS+=("$MATCHING_ADMIN")
  fi
  local a
  for a in "${REPLICA_ADMINS[@]}"; do
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$a/readyz" >/dev/null && break; sleep 0.1; done
  done
  local t1="$r1,$r2"
  [ "$1" = cross ] && t2="$r2,$r1" || t2="$r1,$r2"
  [ "$1" = one ] && t1=$r1 && t2=$r1
  start_gateway "$t1" gateway_acceptors; named gateway_acceptors; ACC_PORT=$GW_PORT
  relay_streams 1
  start_gateway "$t2" gateway_offerers; named gateway_offerers; OFF_PORT=$GW_PORT
  relay_streams 2
  sleep 0.3
}
# relay_streams N: every replica has a Relay stream from each of N gateways
# (a gateway picks only among replicas whose stream is up; its own gauge of
# them is refreshed every 5 s, too late to wait on).
relay_streams() {
  local a
  for a in "${REPLICA_ADMINS[@]}"; do wait_ready "$a" 'signaling_matching_grpc_streams{kind="relay"}' "$1"; done
}

RESULTS="$OUT/cluster.jsonl"; : >"$RESULTS"
# crun SETUP LABEL loadgen-args...: one loadgen run against fresh servers.
crun() {
  local setup=$1 label=$2 cpu0 cpu1 res; shift 2
  start_setup "$setup"
  cpu0=$(cpu_by_process)
  res=$("$LG" --port "$ACC_PORT" --offerer_port "$OFF_PORT" --threads 1 --key_file "$KEY" --kid dev \
    --server_pids "${PIDS// /,}" "$@" 2>"$OUT/loadgen.err")
  cpu1=$(cpu_by_process)
  echo "$res" | jq -c --arg setup "$setup" --arg lbl "$label" --arg args "$*" \
    --argjson redirects "$(metric_sum signaling_matching_redirects_total)" \
    --argjson started "$(metric_sum signaling_matching_pairings_started_total)" \
    --argjson cpu0 "$cpu0" --argjson cpu1 "$cpu1" \
    '. + {setup: $setup, label: $lbl, args: $args, redirects: $redirects, pairings_started: $started,
          cpu_s_by_process: ($cpu1 | with_entries(.value = ((.value - $cpu0[.key]) * 100 | round / 100))),
          server_cpu_s_whole_run: ((([$cpu1[]] | add) - ([$cpu0[]] | add)) * 100 | round / 100)}' >>"$RESULTS"
  echo "   $setup $label: $(tail -1 "$RESULTS" | jq -c '{errors, completed_pairs, pairs_ready, received, redirects, pairings_started}')"
  stop_servers
}

# Each scenario over every set-up in turn, the whole REPEAT times, so that a
# change in the machine's load falls on all of them alike.
for _ in $(seq "$REPEAT"); do
  for s in $SETUPS; do crun "$s" pairing --scenario pairing --rate "$PAIR_RATE" --duration_s "$DUR_S" --drain_s 3; done
  for s in $SETUPS; do
    crun "$s" relay_load --scenario relay --pairs "$RELAY_PAIRS" --rate "$RELAY_RATE" --duration_s "$DUR_S" --setup_inflight 1
  done
  for s in $SETUPS; do
    crun "$s" relay_latency --scenario relay --pairs "$LAT_PAIRS" --rate "$LAT_RATE" --duration_s "$DUR_S" --setup_inflight 1
  done
done
LOAD_AFTER=$(uptime)

J="$CDOCS/cluster.json"
DIRTY=$(git diff --quiet HEAD -- services gateway common proto bench 2>/dev/null || echo " (working tree has uncommitted changes in services/gateway/common/proto/bench)")
jq -s --arg cmd "$CMD" --arg commit "$(git rev-parse HEAD 2>/dev/null || echo unknown)$DIRTY" \
  --arg before "$LOAD_BEFORE" --arg after "$LOAD_AFTER" --arg limits "$LIMITS_NOTE" \
  --arg machine "$(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)" '
  def div($a; $b): if $a == null or $b == null or $b == 0 then null else $a / $b end;
  def minus($a; $b): if $a == null or $b == null then null else $a - $b end;
  def median: map(select(. != null)) | sort |
    if length == 0 then null elif length % 2 == 1 then .[(length - 1) / 2] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  def ms($cpu): div(div($cpu; .completed_pairs); 0.001);
  def fig: {redirect_fraction: div(.redirects; .pairings_started), errors} + if .label == "pairing" then
      {completed: .completed_pairs, achieved_rate, incomplete, cpu_ms_per_pairing: ms(.server_cpu_s_whole_run),
       cpu_ms_gateways: ms(.cpu_s_by_process | (.gateway_acceptors // 0) + (.gateway_offerers // 0)),
       cpu_ms_replicas: ms(.cpu_s_by_process | (.replica1 // 0) + (.replica2 // 0)),
       cpu_ms_auth: ms(.cpu_s_by_process.auth), cpu_ms_redis: ms(.cpu_s_by_process.redis),
       tta_p50_us: .time_to_answer_us.p50, tta_p99_us: .time_to_answer_us.p99,
       sta_p50_us: .start_to_answer_us.p50, sta_p99_us: .start_to_answer_us.p99}
    else {pairs_ready, delivered_rate: .achieved_rate, cpu_us_per_message: div(1e6; .received_per_server_cpu_s),
          latency_p50_us: .one_way_latency_us.p50, latency_p99_us: .one_way_latency_us.p99} end;
  # Medians over the repetitions (errors summed), the CPU figures with their range.
  def agg($cpu): . as $rs | if length == 0 then {} else
    reduce ($rs[0] | keys[]) as $k ({runs: length};
      .[$k] = ([$rs[][$k]] | if $k == "errors" or $k == "incomplete" then add else median end)) |
    .[$cpu + "_range"] = ([$rs[][$cpu] | select(. != null)] | if length == 0 then null else {min: min, max: max} end) end;
  def per($runs; $s): def of($l): [$runs[] | select(.setup == $s and .label == $l) | fig];
    {pairing: (of("pairing") | agg("cpu_ms_per_pairing")), relay: (of("relay_load") | agg("cpu_us_per_message")),
     unloaded: (of("relay_latency") | agg("latency_p50_us"))};
  . as $runs | {one: per($runs; "one"), cross: per($runs; "cross"), same: per($runs; "same")} as $s |
  {generated: (now | todate), command: $cmd, commit: $commit, machine: $machine, limits: $limits,
   load: {before: $before, after: $after}, loadgen: "1 thread; relay set-up one pair at a time",
   summary: ($s + {cross_vs_one: {
     pairing_cpu_ratio: div($s.cross.pairing.cpu_ms_per_pairing; $s.one.pairing.cpu_ms_per_pairing),
     pairing_cpu_extra_ms: minus($s.cross.pairing.cpu_ms_per_pairing; $s.one.pairing.cpu_ms_per_pairing),
     tta_extra_us: {p50: minus($s.cross.pairing.tta_p50_us; $s.one.pairing.tta_p50_us),
                    p99: minus($s.cross.pairing.tta_p99_us; $s.one.pairing.tta_p99_us)},
     relay_cpu_ratio: div($s.cross.relay.cpu_us_per_message; $s.one.relay.cpu_us_per_message),
     relay_cpu_extra_us: minus($s.cross.relay.cpu_us_per_message; $s.one.relay.cpu_us_per_message),
     unloaded_latency_extra_us: {p50: minus($s.cross.unloaded.latency_p50_us; $s.one.unloaded.latency_p50_us),
                                 p99: minus($s.cross.unloaded.latency_p99_us; $s.one.unloaded.latency_p99_us)}},
     cross_vs_same: {pairing_cpu_ratio: div($s.cross.pairing.cpu_ms_per_pairing; $s.same.pairing.cpu_ms_per_pairing),
       relay_cpu_ratio: div($s.cross.relay.cpu_us_per_message; $s.same.relay.cpu_us_per_message)}}),
   runs: $runs} |
  .summary.relay_target = {limit: 1.3, ratio: .summary.cross_vs_one.relay_cpu_ratio,
    met: (if .summary.cross_vs_one.relay_cpu_ratio == null then null else .summary.cross_vs_one.relay_cpu_ratio <= 1.3 end)}' \
  "$RESULTS" >"$J"

# ---------------------------------------------------------------- report
S() { jq -r ".summary | $1" "$J"; }
# row LABEL JQ-OF-ONE-SETUP [JQ-OF-THE-COMPARISON]: a table row, figures
# formatted by f (rounded, "—" when absent).
F='def f: if . == null then "—" elif . >= 100 or . <= -100 then round | tostring else . * 100 | round / 100 | tostring end;
   def pct: if . == null then "—" else "\(. * 100 | f) %" end;
   def sf: if . == null then "—" elif . >= 0 then "+\(f)" else f end;
   def rng: if . == null then "—" else "\(.min | f)–\(.max | f)" end;
   def x: if . == null then "—" else (. * 100 | round) as $c | "\($c / 100 | floor).\($c % 100 + 100 | tostring | .[1:])×" end;'
row() {
  echo "| $1 | $(S "$F .one | $2") | $(S "$F .cross | $2") | $(S "$F .same | $2") | $(S "$F ${3:-null | f}") |"
}
TARGET=$(S '.relay_target | if .met == null then "n/a" elif .met then "**met**" else "**not met**" end')
{
cat <<EOF
# Cluster benchmark: one matching replica vs two sharing their ids through Redis

Generated by \`bench/cluster.sh\` (run at the end of \`bench/run.sh\`) on $(date -u +%Y-%m-%dT%H:%MZ);
raw figures in [cluster.json](cluster.json). Everything on one machine over loopback, the
load generator included, with other work running (load averages below): compare the columns,
which ran interleaved, not the absolute figures.

- Command: \`$CMD\`
- Commit: \`$(jq -r .commit "$J")\`
- Machine: $(jq -r .machine "$J"); load before: \`$LOAD_BEFORE\`; after: \`$LOAD_AFTER\`
- Our services: Release build, dev mode (plain ws, plaintext gRPC), JSON. Limits: $LIMITS_NOTE.
- Set-ups, fresh processes for every run, two gateways each (acceptors through one, offerers
  through the other, so that only the matching side differs):
  **one** — one replica, no Redis; **cross** — two replicas and redis-server (\`--save "" --appendonly no\`),
  the gateways listing them in opposite orders, so each offerer lands first on the replica not
  holding its acceptor and is moved there (\`Redirect\`, the gateway re-opens and re-joins);
  **same** — the control: two replicas and Redis, both gateways in the same order, nothing moves.
  The fraction moved is measured: the replicas' \`signaling_matching_redirects_total\` over their
  \`signaling_matching_pairings_started_total\`.
- Every run $REPEAT times, interleaved (all scenarios over all set-ups, then again); the table
  gives the median over the repetitions (errors summed) and, for the CPU figures, their range.
- Load generator: one thread (so connections reach each gateway in the pairs' order), relay
  pairs set up one at a time. Server CPU = utime+stime of **all** server processes (both
  gateways, the replicas, auth and redis-server); per pairing over the whole loadgen run,
  per relayed message over the relay window (set-up excluded). Latencies in µs.

## Target

| target | one replica | cross-replica | result |
|---|---|---|---|
| cross-replica relaying ≤ 1.3× the server CPU per message of same-replica relaying | $(S "$F .one.relay.cpu_us_per_message | f") µs/msg | $(S "$F .cross.relay.cpu_us_per_message | f") µs/msg ($(S "$F .cross.relay.redirect_fraction | pct") of the pairs moved) | $TARGET ($(S "$F .cross_vs_one.relay_cpu_ratio | x"); against the two-replica control: $(S "$F .cross_vs_same.relay_cpu_ratio | x")) |

## Side by side

| figure | one replica | two replicas, cross | two replicas, same (control) | cross vs one |
|---|---|---|---|---|
EOF
row "**pairing** ($PAIR_RATE pairs/s for ${DUR_S} s): offerers moved" '.pairing.redirect_fraction | pct'
row "completed pairs / pairs/s (per run) / errors / incomplete (all runs)" '.pairing | "\(.completed | f) / \(.achieved_rate | f) / \(.errors | f) / \(.incomplete | f)"'
row "server CPU per completed pairing (ms; range over the runs)" '.pairing | "\(.cpu_ms_per_pairing | f) (\(.cpu_ms_per_pairing_range | rng))"' \
  '.cross_vs_one | "\(.pairing_cpu_extra_ms | sf) ms (\(.pairing_cpu_ratio | x))"'
row "… of which gateways / replicas / auth / redis (ms)" '.pairing | "\(.cpu_ms_gateways | f) / \(.cpu_ms_replicas | f) / \(.cpu_ms_auth | f) / \(.cpu_ms_redis | f)"'
row "time-to-answer p50 / p99 (µs)" '.pairing | "\(.tta_p50_us | f) / \(.tta_p99_us | f)"' \
  '.cross_vs_one.tta_extra_us | "\(.p50 | sf) / \(.p99 | sf) µs"'
row "start-to-answer p50 / p99 (µs)" '.pairing | "\(.sta_p50_us | f) / \(.sta_p99_us | f)"'
row "**relay** ($RELAY_PAIRS pairs, $RELAY_RATE msg/s for ${DUR_S} s): offerers moved" '.relay.redirect_fraction | pct'
row "pairs ready / delivered msg/s (per run) / errors (all runs)" '.relay | "\(.pairs_ready | f) / \(.delivered_rate | f) / \(.errors | f)"'
row "server CPU per relayed message (µs; range over the runs)" '.relay | "\(.cpu_us_per_message | f) (\(.cpu_us_per_message_range | rng))"' \
  '.cross_vs_one | "\(.relay_cpu_extra_us | sf) µs (\(.relay_cpu_ratio | x))"'
row "one-way latency under load p50 / p99 (µs)" '.relay | "\(.latency_p50_us | f) / \(.latency_p99_us | f)"'
row "**unloaded relay** ($LAT_PAIRS pairs, $LAT_RATE msg/s): offerers moved" '.unloaded.redirect_fraction | pct'
row "one-way latency p50 / p99 (µs)" '.unloaded | "\(.latency_p50_us | f) / \(.latency_p99_us | f)"' \
  '.cross_vs_one.unloaded_latency_extra_us | "\(.p50 | sf) / \(.p99 | sf) µs"'
cat <<EOF

What the paths are: a moved offerer is carried on the replica holding its acceptor, so after
pairing both clients' messages go through that one replica (gateway → replica → gateway, as
with one replica); neither Redis nor the other replica is on the relay path, and the relay
figures differ only by what a cluster replica does besides relaying (membership heartbeats,
generation checks) and by noise. A cross-replica pairing adds the offerer's directory look-up
on the first replica, its \`Redirect\`, the gateway's second stream open and join; the
acceptor's claim and release in Redis are paid by the control too. More in
[../performance.md](../performance.md) and [../scaling.md](../scaling.md).
EOF
} >"$CDOCS/cluster.md"
echo "== wrote $CDOCS/cluster.md, $J"
