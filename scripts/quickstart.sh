#!/usr/bin/env bash
# Fresh Debian machine → Hilt's main job: installs what Hilt needs (npm packages, Docker with
# buildx, a local registry, base images made locally), then runs `hilt build-all` on
# pipelines/local.yaml (the example services) and prints the result JSON on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
# Only the result JSON goes to stdout: everything else is progress, on stderr.
{
  npm ci --no-audit --no-fund --loglevel=error 2>/dev/null || npm install --no-audit --no-fund --loglevel=error
  npm run --silent build
} >&2
env_file=$(mktemp)
bash test/env/up.sh >"$env_file"
# shellcheck disable=SC1090
source "$env_file"
prefix=$HILT_E2E_BASE_PREFIX
exec node bin/hilt.js build-all --pipeline local --json --push "$HILT_E2E_REGISTRY/hilt" \
  --base-image "node=$prefix/node" --base-image "python=$prefix/python" \
  --base-image "golang=$prefix/golang" --base-image "busybox=$prefix/busybox" \
  --base-image "debian=$prefix/debian" "$@"
