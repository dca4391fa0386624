#!/usr/bin/env bash
# Runs the whole system on localhost for development: installs what is
# missing, builds, makes a fresh development key, starts auth + matching +
# gateway (plaintext gRPC and plain ws, explicitly), and prints the demo URLs
# with development tokens. Ctrl-C stops everything. The steps it shares with
# run-cluster.sh are in scripts/lib/run-common.sh.
#
#   ./scripts/run.sh            # gateway on http://127.0.0.1:8080
#   PORT=9000 ./scripts/run.sh
#   SKIP_BUILD=1 ./scripts/run.sh   # the binaries already in $BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-8080}
source scripts/lib/run-common.sh

prepare_run_dir .run
start_auth
start_matching matching 127.0.0.1:7001
start_gateway gateway "$PORT" 127.0.0.1:7001
mint_demo_tokens
wait_for_ports "$PORT"

cat <<INFO

Signaling is running (development mode: plain ws, plaintext gRPC, any Origin).
  Logs: $RUN_DIR/{auth,matching,gateway}.log

Open these two pages (two tabs), acceptor first:
  $(acceptor_url "$PORT")
  $(offerer_url "$PORT")

Development tokens (valid 24 h):
  acceptor (sub kiosk-owner, accept kiosk-*): $ACCEPTOR_TOKEN
  offerer  (sub user-42, offer kiosk-*):      $OFFERER_TOKEN
Mint more: $BUILD_DIR/services/auth/signaling-mint --key_file .run/dev.key --kid dev --alg HS256 --sub NAME --accept 'ID-PATTERN' --offer 'ID-PATTERN'

Press Ctrl-C to stop.
INFO
wait_for_exit service
