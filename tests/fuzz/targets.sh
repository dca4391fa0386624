# The libFuzzer targets, sourced by run_fuzzers.sh and campaign.sh: each
# target's seed corpus (a folder of corpus/) and the largest input it is
# given (-max_len), and the cmake configuration of the fuzz build dir.
# shellcheck shell=bash

fuzz_targets=(fuzz_sdp fuzz_candidate fuzz_json_codec fuzz_proto_codec fuzz_jwt
              fuzz_pairing_engine)
declare -A fuzz_seeds=([fuzz_sdp]=sdp [fuzz_candidate]=candidate
                       [fuzz_json_codec]=json [fuzz_proto_codec]=proto
                       [fuzz_jwt]=jwt [fuzz_pairing_engine]=engine)
declare -A fuzz_max_len=([fuzz_sdp]=40000 [fuzz_candidate]=2048
                         [fuzz_json_codec]=70000 [fuzz_proto_codec]=70000
                         [fuzz_jwt]=9000 [fuzz_pairing_engine]=256)

# Configures (once) and builds the targets given, in build dir $1:
# clang, ASan + UBSan, libFuzzer.
fuzz_build() {
  local build_dir=$1 repo=$2
  shift 2
  cmake -S "$repo" -B "$build_dir" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++ \
    -DSIGNALING_FUZZ=ON -DSIGNALING_SANITIZE=ON >/dev/null
  cmake --build "$build_dir" -j "${FUZZ_BUILD_JOBS:-2}" --target "$@"
}

# Whether $1 names a target.
fuzz_known_target() {
  local t
  for t in "${fuzz_targets[@]}"; do [[ $t == "$1" ]] && return 0; done
  return 1
}
