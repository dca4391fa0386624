#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian 12 machine (apt only).
# Idempotent: does nothing when everything is present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libboost-dev libspdlog-dev nlohmann-json3-dev libssl-dev
  libgtest-dev libgmock-dev clang libclang-rt-14-dev
  chromium prometheus openssl
  redis-server redis-sentinel redis-tools libhiredis-dev
  golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev
)
# Node.js may come from another source than Debian's; add it only if absent.
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
