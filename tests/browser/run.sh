#!/usr/bin/env bash
# Runs the browser end-to-end tests: one stack (e2e.test.mjs) and across
# gateways and replicas (cluster.test.mjs). Needs node >= 20, /usr/bin/chromium,
# redis-server on PATH and the built services (env SIGNALING_BUILD_DIR,
# default `build` under the repo root). Installs playwright-core from the lock file
# on first use. The exit code is the test runner's.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if [[ ! -d node_modules/playwright-core ]]; then
  npm ci --no-audit --no-fund
fi
exec node --test --test-reporter=spec e2e.test.mjs cluster.test.mjs
