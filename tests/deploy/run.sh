#!/usr/bin/env bash
# Checks deploy/ and helm/: installs what it needs (scripts/install-deps.sh,
# npm ci), builds the chart renderer offline from Debian's Go packages, makes
# sure the binaries exist (their ldd and flag parser are checked), and runs
# every module of checks (images, chart, chart-cluster, k8s, grafana; each
# *.test.mjs says what it checks). Exits non-zero if any check fails or a
# module does not finish; the last line reads "deploy: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")"
HERE=$(pwd)
ROOT=$(cd ../.. && pwd)
BUILD_DIR=${BUILD_DIR:-build}

"$ROOT/scripts/install-deps.sh"
# apt-cache show (used by the Dockerfile checks) needs package lists.
if ! apt-cache show --no-all-versions libc6 >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
fi

# The renderer: GOPATH mode against /usr/share/gocode, no network.
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS=  \
  go build -o "$WORK/render" ./render

npm ci --no-audit --no-fund --loglevel=error >/dev/null

# The binaries (for ldd and the flag checks): build them if absent.
if [ ! -x "$ROOT/$BUILD_DIR/gateway/signaling-gateway" ] ||
   [ ! -x "$ROOT/$BUILD_DIR/services/matching/signaling-matching" ] ||
   [ ! -x "$ROOT/$BUILD_DIR/services/auth/signaling-auth" ]; then
  BUILD_DIR=$BUILD_DIR "$ROOT/scripts/build.sh" >/dev/null
fi

# Every module, even after a failing one; the totals come from each module's
# last line ("<module>: N passed, M failed"), which it prints only when it ran
# to the end.
MODULES="images chart chart-cluster k8s grafana"
passed=0 failed=0 status=0
for m in $MODULES; do
  out="$WORK/$m.out"
  RENDER="$WORK/render" BUILD_DIR="$ROOT/$BUILD_DIR" node "$HERE/$m.test.mjs" | tee "$out" || status=1
  summary=$(tail -n 1 "$out")
  if [[ $summary =~ ^$m:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    passed=$((passed + BASH_REMATCH[1])) failed=$((failed + BASH_REMATCH[2]))
  else
    echo "FAIL $m.test.mjs did not finish"
    failed=$((failed + 1))
  fi
done
echo "deploy: $passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
