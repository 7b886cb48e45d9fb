# Hilt's own image (catalog image "hilt"): the CLI and `hilt serve`, with git, the Docker CLI and
# buildx to build through a mounted Docker socket or a remote BuildKit. Built by Hilt from this
# repository (context: the repository root, filtered by hilt.Dockerfile.dockerignore).
ARG PARENT_IMAGE=node:20-bookworm-slim

# Build stage: Hilt from its sources, as `npm pack` would ship it, then only its runtime
# dependencies. better-sqlite3 (the embedded job queue) compiles here where no prebuilt exists.
FROM ${PARENT_IMAGE} AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       python3 make g++ ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
# The registry and its CA come from Hilt's build secrets (never a layer); absent, npm's defaults.
# A base without Node's C headers (one made from the npm registry's node-linux-* package) gets
# them from that package, so node-gyp needs no download from nodejs.org.
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc \
    --mount=type=secret,id=ca,target=/run/secrets/hilt-ca.pem \
    --mount=type=cache,target=/root/.npm,sharing=locked \
    prefix=$(dirname "$(dirname "$(command -v node)")") \
    && if [ ! -f "$prefix/include/node/node.h" ]; then \
         mkdir -p /tmp/node && cd /tmp/node \
         && npm pack -s "node-linux-$(node -p process.arch)@$(node -p process.versions.node)" \
         && tar -xzf node-linux-*.tgz --strip-components=1 package/include \
         && prefix=/tmp/node && cd /src; \
       fi \
    && npm ci --ignore-scripts --no-fund --no-audit \
    && npm_config_nodedir=$prefix npm rebuild better-sqlite3 esbuild
# The runtime dependencies: only the bundle's externals (the Dagger SDK, imported when the dagger
# engine is chosen, and better-sqlite3 with its compiled addon) and what they load; the bundle
# holds every other package. This layer changes only with package-lock.json, so a source change
# rebuilds and pushes only the bundle.
COPY image/runtime-deps.mjs image/
RUN dagger='[name="@dagger.io/dagger"]' sqlite='[name=better-sqlite3]' \
    && npm query ":root > $dagger, :root > $dagger *, :root > $sqlite, \
         :root > $sqlite > [name=bindings], :root > $sqlite > [name=bindings] *" \
       | node image/runtime-deps.mjs /opt/deps
COPY scripts/bundle.mjs scripts/
COPY src src
# The CLI runs from its bundle (what bin/hilt.js loads); the type-checked library build (tsc) is
# the npm package's business, not the image's.
RUN node scripts/bundle.mjs

# The Docker CLI and buildx: the next Debian release's packages (buildx is in no current one);
# only their two binaries are kept.
FROM ${PARENT_IMAGE} AS docker
RUN printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
       >/etc/apt/sources.list.d/next.sources \
    && apt-get update \
    && cd /tmp && apt-get download docker-cli docker-buildx \
    && mkdir -p /out/bin /out/plugins \
    && dpkg-deb -x docker-cli_*.deb /tmp/docker && dpkg-deb -x docker-buildx_*.deb /tmp/buildx \
    && cp /tmp/docker/usr/bin/docker /out/bin/docker \
    && cp /tmp/buildx/usr/libexec/docker/cli-plugins/docker-buildx /out/plugins/docker-buildx

# git without Perl: Debian's git package depends on Perl (~47 MB) for a few commands Hilt never
# runs (send-email, svn, cvs, instaweb); the image takes its binaries and templates only, and
# installs the libraries they link below. An image built on this one may still apt-get git.
FROM ${PARENT_IMAGE} AS git
RUN apt-get update \
    && cd /tmp && apt-get download git \
    && dpkg-deb -x git_*.deb /out

FROM ${PARENT_IMAGE}
# No docs, manuals or translations from these packages, and no apt caches left in the layer (a
# base built without Debian's docker-clean keeps ~100 MB of them); the dpkg filter is removed
# afterwards, so an image built on this one installs packages as usual.
RUN printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
       'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' \
       'path-exclude /usr/share/locale/*' >/etc/dpkg/dpkg.cfg.d/hilt-slim \
    && apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       bash ca-certificates curl jq procps tini libcurl3-gnutls libexpat1 libpcre2-8-0 zlib1g \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log \
       /etc/dpkg/dpkg.cfg.d/hilt-slim
COPY --from=git /out/usr/lib/git-core /usr/lib/git-core
COPY --from=git /out/usr/share/git-core /usr/share/git-core
COPY --from=docker /out/bin/docker /usr/local/bin/docker
COPY --from=docker /out/plugins/docker-buildx /usr/local/lib/docker/cli-plugins/docker-buildx
COPY --from=build /opt/deps/node_modules /opt/hilt/node_modules
COPY package.json /opt/hilt/
COPY bin /opt/hilt/bin
COPY schema /opt/hilt/schema
COPY --from=build /src/dist/bundle /opt/hilt/dist/bundle
COPY --chmod=0755 image/hilt-entrypoint.sh /usr/local/bin/hilt-entrypoint
RUN ln -s /opt/hilt/bin/hilt.js /usr/local/bin/hilt && ln -s ../lib/git-core/git /usr/bin/git \
    && hilt --version && docker --version && docker buildx version && git --version \
    && ! ldd /usr/bin/git /usr/lib/git-core/git-remote-http | grep 'not found'
ENV HILT_PORT=8080 NODE_ENV=production
WORKDIR /workspace
EXPOSE 8080
# tini as PID 1 reaps what build processes leave behind and forwards docker stop's SIGTERM.
ENTRYPOINT ["tini", "--", "hilt-entrypoint"]
CMD ["interactive"]
