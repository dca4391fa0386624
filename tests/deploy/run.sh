#!/usr/bin/env bash
# Checks deploy/ and helm/ (see deploy_test.mjs): installs what it needs
# (scripts/install-deps.sh, npm ci), builds the chart renderer offline from Debian's
# Go packages, makes sure the binaries exist (their ldd and flag parser are
# checked), and runs the checks. Exits non-zero if any check fails; the last
# line reads "deploy: N passed, M failed".
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

RENDER="$WORK/render" BUILD_DIR="$ROOT/$BUILD_DIR" node "$HERE/deploy_test.mjs"
