#!/usr/bin/env bash
# Builds and runs the whole test suite: unit, integration, leak, hostile,
# operations and browser tests; the chart and manifest checks; the suite
# again under ASan + UBSan; and each fuzz target for a fixed time on its
# seed corpus. Installs what is missing first. Exit status 0 only if all
# pass. FUZZ_SECONDS (default 20) sets each fuzz target's run time.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}

./scripts/install-deps.sh

echo "== build ($BUILD_DIR)"
BUILD_DIR=$BUILD_DIR ./scripts/build.sh

echo "== unit, integration, leak and hostile tests (ctest)"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 --timeout 300

echo "== browser end-to-end test (headless Chromium)"
SIGNALING_BUILD_DIR=$BUILD_DIR bash tests/browser/run.sh

echo "== Helm chart and Kubernetes manifests"
BUILD_DIR=$BUILD_DIR bash tests/deploy/run.sh

echo "== the suite under ASan + UBSan (build-asan)"
BUILD_DIR=build-asan BUILD_TYPE=Debug ./scripts/build.sh -DSIGNALING_SANITIZE=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j2 --timeout 600

echo "== fuzzing, ${FUZZ_SECONDS}s per target (build-fuzz)"
bash tests/fuzz/run_fuzzers.sh build-fuzz "$FUZZ_SECONDS"

echo "all test stages passed"
