#!/usr/bin/env bash
# A fuzz campaign: runs each libFuzzer target for a fixed number of
# executions (-runs=N) from a fresh copy of its seed corpus, one target after
# the other, and prints per target its executions, wall time, exec/s and
# result. CI keeps its short time-based runs (run_fuzzers.sh).
#
#   tests/fuzz/campaign.sh <build-dir> <executions-per-target> [target...]
#
# Without targets, every target of targets.sh runs. Builds the targets first
# (FUZZ_NO_BUILD=1 skips that, for a build dir already up to date). The
# grown corpus and the full log of each target stay in
# <build-dir>/fuzz-campaign/<target>/, a crashing input in
# <build-dir>/fuzz-artifacts/<target>/. Exits non-zero when any target
# crashed, leaked, hit UB, broke one of its checks or did not finish its
# executions.
set -euo pipefail

if [[ $# -lt 2 || ! $2 =~ ^[0-9]+$ ]]; then
  echo "usage: $0 <build-dir> <executions-per-target> [target...]" >&2
  exit 2
fi
build_dir=$(realpath -m "$1")
runs=$2
shift 2
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/fuzz/targets.sh
source "$repo/tests/fuzz/targets.sh"
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${fuzz_targets[@]}")
for target in "${targets[@]}"; do
  if ! fuzz_known_target "$target"; then
    echo "unknown target $target; known: ${fuzz_targets[*]}" >&2
    exit 2
  fi
done

if [[ ${FUZZ_NO_BUILD:-0} != 1 ]]; then
  fuzz_build "$build_dir" "$repo" "${targets[@]}"
fi

failed=()
summary=()
for target in "${targets[@]}"; do
  dir="$build_dir/fuzz-campaign/$target"
  corpus="$dir/corpus"
  artifacts="$build_dir/fuzz-artifacts/$target/"
  rm -rf "$dir"
  mkdir -p "$corpus" "$artifacts"
  cp -r "$repo/tests/fuzz/corpus/${fuzz_seeds[$target]}/." "$corpus/"
  rm -f "$corpus/.gitattributes"
  log="$dir/fuzz.log"
  echo "== $target: $runs executions from corpus/${fuzz_seeds[$target]} ($(date -u +%FT%TZ))"
  status=0
  start=$(date +%s.%N)
  (cd "$dir" && "$build_dir/tests/fuzz/$target" \
      -runs="$runs" -print_final_stats=1 \
      -max_len="${fuzz_max_len[$target]}" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$artifacts" "$corpus") >"$log" 2>&1 || status=$?
  end=$(date +%s.%N)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", b - a }')
  rate=$(awk -v n="${execs:-0}" -v a="$start" -v b="$end" \
    'BEGIN { printf "%.0f", (b > a) ? n / (b - a) : 0 }')
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 || true)
  result=ok
  if [[ $status -ne 0 ]]; then
    result="CRASH (exit $status)"
    echo "!! $target FAILED (exit $status); last lines of its log:"
    tail -40 "$log"
  elif [[ ${execs:-0} -lt $runs ]]; then
    result="SHORT (${execs:-0} of $runs)"
  fi
  [[ $result == ok ]] || failed+=("$target")
  line=$(printf '%-20s %12s execs  %7ss  %7s exec/s  %-10s  %s' "$target" \
    "${execs:-?}" "$seconds" "$rate" "$cov" "$result")
  echo "$line"
  summary+=("$line")
done

echo
echo "== campaign summary ($runs executions per target)"
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "failed: ${failed[*]}; inputs kept in $build_dir/fuzz-artifacts/" >&2
  exit 1
fi
