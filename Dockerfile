# The `kappa` binary on Debian bookworm, for docker-compose.yml.
#   docker build -t kappa:local .
#   docker run --rm kappa:local infer --help
# Two stages: the build stage compiles with the same Debian packages as a
# developer machine (scripts/bootstrap); the runtime stage is bookworm-slim
# plus only the packages that hold the libraries the binary links.

FROM debian:bookworm AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /src
# Only the bootstrap script first, so the package layer stays cached while
# the sources change. The `build` profile leaves out test tools (gtest, kcat,
# prometheus, docker-compose) and ccache.
COPY scripts/bootstrap scripts/bootstrap
RUN KAPPA_BOOTSTRAP_PROFILE=build scripts/bootstrap && rm -rf /var/lib/apt/lists/*
COPY . .
# Only the `kappa` target: no tests (KAPPA_BUILD_TESTS=OFF), no benchmarks.
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DKAPPA_BUILD_TESTS=OFF \
 && cmake --build build --target kappa \
 && scripts/runtime-packages build/kappa > build/runtime-packages.txt \
 && build/kappa --help > /dev/null

FROM debian:bookworm-slim
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
COPY --from=build /src/build/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update -qq \
 && xargs -a /tmp/runtime-packages.txt \
      env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt
# An unprivileged user that owns /data, the working directory: the relative
# defaults (./state, ./models, ./state-reprocess-<set>) land there, and a named
# volume mounted on /data starts out owned by this user.
RUN groupadd --gid 10001 kappa \
 && useradd --uid 10001 --gid 10001 --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin kappa \
 && install -d -o 10001 -g 10001 /data
COPY --from=build /src/build/kappa /usr/local/bin/kappa
# Numeric, so that a runtime can check "not root" without reading /etc/passwd.
USER 10001:10001
WORKDIR /data
# /metrics ports: infer 8000, produce 8001, train 8002, reprocess 8003.
EXPOSE 8000 8001 8002 8003
ENTRYPOINT ["kappa"]
CMD ["--help"]
