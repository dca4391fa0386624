# syntax=docker/dockerfile:1
# The auth (token verification) image; it also carries signaling-mint, which
# generates development keys and mints development tokens.
# Build from the repository root:
#   docker build -f deploy/docker/auth.Dockerfile -t signaling/auth .
# The build stage is identical in the three Dockerfiles up to the build
# command, so a shared BuildKit cache builds the common layers once.

FROM debian:12 AS build
# Exactly the -dev packages of scripts/install-deps.sh that the build needs.
# libgtest-dev/libgmock-dev: the top CMakeLists.txt finds GTest even when the
# tests are off.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler \
      libabsl-dev libboost-dev libspdlog-dev nlohmann-json3-dev libssl-dev \
      libgtest-dev libgmock-dev libhiredis-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The whole context: the <this file>.dockerignore beside it lets through only
# the sources CMake configures (and gateway/web for the final stage).
COPY . .
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSIGNALING_TESTS=OFF \
 && cmake --build build --target signaling-auth signaling-mint \
 && strip build/services/auth/signaling-auth build/services/auth/signaling-mint

FROM debian:12-slim
# Runtime libraries only: the Debian packages that own what `ldd` lists for the
# binaries (tests/deploy checks this list against the real ldd output).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libgrpc++1.51 libgrpc29 libprotobuf32 libabsl20220623 libspdlog1.10 libfmt9 \
      libssl3 libc-ares2 libre2-9 zlib1g libstdc++6 libgcc-s1 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 signaling \
 && useradd --system --uid 10001 --gid 10001 --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin signaling
COPY --from=build /src/build/services/auth/signaling-auth /usr/local/bin/signaling-auth
COPY --from=build /src/build/services/auth/signaling-mint /usr/local/bin/signaling-mint
# The binary's defaults listen on loopback, which suits a bare host; in a
# container both the gRPC and the admin port must be reachable from outside.
# Keys (--key / SIGNALING_KEY) are mounted files, never baked in.
ENV SIGNALING_LISTEN=0.0.0.0:7002 \
    SIGNALING_ADMIN_ADDRESS=0.0.0.0
USER 10001:10001
# 7002: gRPC (TokenVerifier, health); 9102: admin HTTP.
EXPOSE 7002 9102
# SIGTERM: not serving, in-flight calls get 5 s, exit 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/signaling-auth"]
