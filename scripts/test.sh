#!/usr/bin/env bash
# Builds and runs the whole test suite: unit, integration, leak and browser
# tests. Installs what is missing first. Exit status 0 only if all pass.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}

./scripts/install-deps.sh
BUILD_DIR=$BUILD_DIR ./scripts/build.sh

echo "== unit and integration tests (ctest)"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 --timeout 300

echo "== browser end-to-end test (headless Chromium)"
SIGNALING_BUILD_DIR=$BUILD_DIR bash tests/browser/run.sh
