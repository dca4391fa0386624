# syntax=docker/dockerfile:1
# The gateway image: WebSocket front door, plus the demo page and the browser
# client module (gateway/web). Build from the repository root:
#   docker build -f deploy/docker/gateway.Dockerfile -t signaling/gateway .
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
 && cmake --build build --target signaling-gateway \
 && strip build/gateway/signaling-gateway

FROM debian:12-slim
# Runtime libraries only: the Debian packages that own what `ldd` lists for the
# binary (tests/deploy checks this list against the real ldd output).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libgrpc++1.51 libgrpc29 libprotobuf32 libabsl20220623 libspdlog1.10 libfmt9 \
      libssl3 libc-ares2 libre2-9 zlib1g libstdc++6 libgcc-s1 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 signaling \
 && useradd --system --uid 10001 --gid 10001 --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin signaling
COPY --from=build /src/build/gateway/signaling-gateway /usr/local/bin/signaling-gateway
COPY gateway/web /usr/share/signaling/web
# Nothing is written at run time, so the root filesystem can be read-only.
# Admin (metrics, health) must be reachable from outside the container; the
# binary's own default is loopback, which suits a bare host, not a pod.
ENV SIGNALING_ADMIN_ADDRESS=0.0.0.0 \
    SIGNALING_WEB_ROOT=/usr/share/signaling/web
USER 10001:10001
# 8443: WebSocket (wss, or ws behind a trusted proxy); 9100: admin HTTP.
EXPOSE 8443 9100
# SIGTERM starts the drain (goAway, then drain_grace_ms, then exit 0).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/signaling-gateway"]
