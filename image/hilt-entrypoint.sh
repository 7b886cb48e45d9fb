#!/usr/bin/env bash
# Entrypoint of Hilt's image. Modes:
#   interactive (default)  hilt serve on 127.0.0.1 in the background, then a shell with the CLI
#                          once /health answers
#   daemon                 hilt serve only, on 0.0.0.0; refuses to start without a token
#                          (HILT_SERVE_TOKENS, or a file named by HILT_SERVE_TOKENS_FILE)
#   cli ARGS...            one hilt command; JSON on stdout (--json is added where it applies)
#   shell                  a shell with the CLI, no service
# Builds go through a mounted Docker socket (/var/run/docker.sock) or a remote Docker
# (DOCKER_HOST), optionally on a remote BuildKit (BUILDKIT_HOST=tcp://host:1234, registered as
# the buildx builder "hilt-remote"; Hilt's docker engine still asks a Docker daemon first), or
# on a Dagger engine with --engine dagger: a session from an outer `dagger run`
# (DAGGER_SESSION_PORT/TOKEN, with --network host), or a mounted dagger CLI (on PATH or
# HILT_DAGGER_BIN) that reaches the engine _EXPERIMENTAL_DAGGER_RUNNER_HOST names.
set -euo pipefail

PORT=${HILT_PORT:-8080}

fail() { # code message
  printf 'hilt-entrypoint: %s\n' "$2" >&2
  exit "$1"
}

use_remote_buildkit() {
  [ -n "${BUILDKIT_HOST:-}" ] || return 0
  [ -z "${HILT_BUILDER:-}" ] || return 0
  if ! docker buildx inspect hilt-remote >/dev/null 2>&1; then
    docker buildx create --name hilt-remote --driver remote "$BUILDKIT_HOST" >/dev/null ||
      fail 4 "could not register the BuildKit at BUILDKIT_HOST as a buildx builder"
  fi
  export HILT_BUILDER=hilt-remote
}

serve_args() { # host
  local args=(serve --host "$1" --port "$PORT")
  if [ -n "${HILT_SERVE_TOKENS_FILE:-}" ]; then args+=(--tokens-file "$HILT_SERVE_TOKENS_FILE"); fi
  printf '%s\n' "${args[@]}"
}

# Waits for /health; prints its answer. Gives up when the server exits or after 60 s.
wait_healthy() { # pid
  local body
  for _ in $(seq 300); do
    if body=$(curl -fsS --max-time 2 "http://127.0.0.1:$PORT/health" 2>/dev/null); then
      printf '%s\n' "$body"
      return 0
    fi
    kill -0 "$1" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}

wants_json() { # command
  case "$1" in
  validate | plan | resolve-image | build-all | build | detect | generate) return 0 ;;
  *) return 1 ;;
  esac
}

mode=${1:-interactive}
[ $# -eq 0 ] || shift
case "$mode" in
interactive)
  use_remote_buildkit
  mapfile -t args < <(serve_args 127.0.0.1)
  log=${HILT_SERVE_LOG:-/tmp/hilt-serve.log}
  hilt "${args[@]}" >>"$log" 2>&1 &
  server=$!
  if ! health=$(wait_healthy "$server"); then
    tail -n 20 "$log" >&2
    fail 4 "hilt serve did not answer on http://127.0.0.1:$PORT/health (log: $log)"
  fi
  printf 'hilt serve is ready on http://127.0.0.1:%s (health: %s; log: %s)\n' \
    "$PORT" "$health" "$log" >&2
  printf 'Try: hilt --help, hilt plan --json, curl -s localhost:%s/jobs\n' "$PORT" >&2
  export HILT_URL="http://127.0.0.1:$PORT"
  exec bash -i
  ;;
daemon)
  if [ -z "${HILT_SERVE_TOKENS:-}" ] && [ -z "${HILT_SERVE_TOKENS_FILE:-}" ]; then
    fail 2 "daemon mode listens on 0.0.0.0 and needs a token: set HILT_SERVE_TOKENS (TOKEN[:read], comma-separated) or HILT_SERVE_TOKENS_FILE (a mounted file)"
  fi
  use_remote_buildkit
  mapfile -t args < <(serve_args 0.0.0.0)
  exec hilt "${args[@]}" "$@"
  ;;
cli)
  [ $# -gt 0 ] || fail 2 "cli needs a hilt command, e.g. cli plan --json"
  use_remote_buildkit
  if wants_json "$1" && [[ " $* " != *" --json "* ]]; then set -- "$@" --json; fi
  exec hilt "$@"
  ;;
shell)
  use_remote_buildkit
  if [ $# -gt 0 ]; then exec bash "$@"; fi
  exec bash -i
  ;;
-h | --help | help)
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
  ;;
*)
  fail 2 "unknown mode '$mode': interactive, daemon, cli ARGS..., shell"
  ;;
esac
