#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) in a build directory
# of their own and runs each for a fixed time on a copy of its seed corpus,
# so that nothing the fuzzer finds is written into the repository.
#
#   tests/fuzz/run_fuzzers.sh <build-dir> [seconds-per-target, default 20]
#
# Prints the executions of each target and exits non-zero when a target
# crashed, leaked, hit UB or broke one of its checks (the crashing input is
# kept under the build directory, in fuzz-artifacts/<target>/).
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 <build-dir> [seconds-per-target]" >&2
  exit 2
fi
build_dir=$(realpath -m "$1")
seconds=${2:-20}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/fuzz/targets.sh
source "$repo/tests/fuzz/targets.sh"
targets=("${fuzz_targets[@]}")

fuzz_build "$build_dir" "$repo" "${targets[@]}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
summary=()
for target in "${targets[@]}"; do
  corpus="$work/$target"
  artifacts="$build_dir/fuzz-artifacts/$target/"
  mkdir -p "$corpus" "$artifacts"
  cp -r "$repo/tests/fuzz/corpus/${fuzz_seeds[$target]}/." "$corpus/"
  rm -f "$corpus/.gitattributes"
  log="$work/$target.log"
  echo "== $target: ${seconds}s on a copy of corpus/${fuzz_seeds[$target]}"
  status=0
  (cd "$work" && "$build_dir/tests/fuzz/$target" \
      -max_total_time="$seconds" -print_final_stats=1 \
      -max_len="${fuzz_max_len[$target]}" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$artifacts" "$corpus") >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 || true)
  grep -E '^(#[0-9]+ +DONE|stat::)' "$log" || true
  if [[ $status -ne 0 ]]; then
    echo "!! $target FAILED (exit $status); last lines of its log:"
    tail -40 "$log"
    failed+=("$target")
  fi
  summary+=("$(printf '%-16s %12s execs  %8s/s  %s  %s' "$target" \
    "${execs:-?}" "${rate:-?}" "${cov:-}" \
    "$([[ $status -eq 0 ]] && echo ok || echo CRASH)")")
done

echo
echo "== summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "failed: ${failed[*]}; inputs kept in $build_dir/fuzz-artifacts/" >&2
  exit 1
fi
