import path from "node:path";
import { type PackageJson, parsePackageJson } from "../detect/node.js";
import { joinPath, type RepoView } from "../detect/repo-view.js";
import { legacyOpenssl, nodeRuntime } from "../detect/runtime-version.js";
import type { PackageManager, Service } from "../detect/types.js";
import { isPlainPath, isSafeName } from "../fs/untrusted.js";
import {
  BASE_ARGS,
  CREATE_APP_USER,
  execRun,
  header,
  type InstallTrust,
  installMounts,
  plainPath,
  SCRIPTS_OFF_NOTE,
  safePort,
  shellCmd,
  staticRuntime,
  writableDir,
} from "./common.js";
import { workspaceManifests } from "./workspace-manifests.js";

const LOCKFILE: Record<string, string> = {
  npm: "package-lock.json",
  yarn: "yarn.lock",
  "yarn-berry": "yarn.lock",
  pnpm: "pnpm-lock.yaml",
  bun: "bun.lock",
};

interface Manager {
  setup: string[];
  cache: string;
  install: (prod: boolean) => string;
  /** Drops dev dependencies from a full install (run after the build). */
  prune: string;
  run: (script: string) => string;
}

/**
 * Install commands with a frozen lockfile when there is one. Unless the repository is trusted,
 * lifecycle scripts are off: npm, pnpm, yarn 1 and bun take --ignore-scripts, yarn berry reads
 * YARN_ENABLE_SCRIPTS.
 */
export function managerCommands(
  manager: PackageManager,
  hasLock: boolean,
  pin?: string,
  trust: InstallTrust = {},
): Manager {
  const off = trust.trustedInstall ? "" : " --ignore-scripts";
  const setupMounts = installMounts("npm");
  const version = pin && /^\d+(\.\d+){0,2}$/.test(pin) ? pin : "9";
  switch (manager) {
    case "pnpm": {
      const install = (prod: boolean) =>
        `pnpm install ${hasLock ? "--frozen-lockfile" : "--no-frozen-lockfile"}${prod ? " --prod" : ""}${off}`;
      return {
        setup: [`RUN ${setupMounts} npm install -g --no-fund --no-audit pnpm@${version}`],
        cache: "--mount=type=cache,target=/root/.local/share/pnpm/store,sharing=locked",
        install,
        // Installing again with --prod removes what only the build needed.
        prune: install(true),
        run: (s) => `pnpm run ${s}`,
      };
    }
    case "yarn": {
      const install = (prod: boolean) =>
        `yarn install ${hasLock ? "--frozen-lockfile" : ""}${prod ? " --production" : ""}${off}`
          .replace(/ {2,}/g, " ")
          .trim();
      return {
        setup: [`RUN ${setupMounts} npm install -g --no-fund --no-audit --force yarn@1`],
        cache: "--mount=type=cache,target=/usr/local/share/.cache/yarn,sharing=locked",
        install,
        prune: install(true),
        run: (s) => `yarn run ${s}`,
      };
    }
    case "yarn-berry": {
      const env = trust.trustedInstall ? "" : "YARN_ENABLE_SCRIPTS=false ";
      return {
        setup: ["RUN corepack enable"],
        cache: "--mount=type=cache,target=/root/.yarn/berry/cache,sharing=locked",
        install: (prod) =>
          prod
            ? `${env}yarn workspaces focus --all --production`
            : `${env}yarn install ${hasLock ? "--immutable" : ""}`.trim(),
        prune: `${env}yarn workspaces focus --all --production`,
        run: (s) => `yarn run ${s}`,
      };
    }
    case "bun": {
      const install = (prod: boolean) =>
        `bun install ${hasLock ? "--frozen-lockfile" : ""}${prod ? " --production" : ""}${off}`
          .replace(/ {2,}/g, " ")
          .trim();
      return {
        setup: [],
        cache: "--mount=type=cache,target=/root/.bun/install/cache,sharing=locked",
        install,
        prune: `rm -rf node_modules && ${install(true)}`,
        run: (s) => `bun run ${s}`,
      };
    }
    default:
      return {
        setup: [],
        cache: "--mount=type=cache,target=/root/.npm,sharing=locked",
        install: (prod) =>
          `${hasLock ? "npm ci" : "npm install"} --no-fund --no-audit${prod ? " --omit=dev" : ""}${off}`,
        prune: "npm prune --no-fund --no-audit --omit=dev",
        run: (s) => `npm run ${s}`,
      };
  }
}

export interface NodeContext {
  service: Service;
  /** The repository: manifests, lockfiles and version files are read through it. */
  view: RepoView;
  command: string;
  trust?: InstallTrust;
}

/** A package name as npm allows it: the only kind a generated comment names. */
const NPM_NAME = /^(?:@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i;

/** Binaries a start command runs that come from another package than their name says. */
const BIN_PACKAGES: Record<string, string> = {
  nest: "@nestjs/cli",
  "babel-node": "@babel/node",
  tsc: "typescript",
  dotenv: "dotenv-cli",
};

/**
 * The devDependency a start command needs (tsx, ts-node, nodemon…), if any: then dev
 * dependencies stay installed. A script start ("npm start") is looked up in package.json.
 */
export function devToolAtStart(pkg: PackageJson | undefined, start: string): string | undefined {
  const dev = pkg?.devDependencies ?? {};
  const prod = pkg?.dependencies ?? {};
  const script = /^(?:npm|yarn|pnpm|bun)(?: run)? ([\w:.-]+)$/.exec(start)?.[1];
  const text = (script && pkg?.scripts?.[script]) || start;
  const words = text.split(/&&|\|\||;|\s+/).filter((w) => w !== "");
  const modules = [
    ...text.matchAll(/(?:-r|--require|--loader|--import)[= ]((?:@[\w.-]+\/)?[\w.-]+)/g),
  ];
  const candidates = [...words, ...modules.map((m) => m[1] as string)].map(
    (w) => BIN_PACKAGES[w] ?? w,
  );
  return candidates.find(
    (name) => NPM_NAME.test(name) && dev[name] !== undefined && prod[name] === undefined,
  );
}

/** The lockfile and manifests at `dir` that an install reads, as present. */
function installFiles(view: RepoView, dir: string, manager: PackageManager): string[] {
  const files = new Set(view.list(dir)?.files ?? []);
  const lock = manager === "bun" && files.has("bun.lockb") ? "bun.lockb" : LOCKFILE[manager];
  return [
    "package.json",
    ...(lock && files.has(lock) ? [lock] : []),
    ...["pnpm-workspace.yaml", ".yarnrc.yml"].filter((f) => files.has(f)),
  ];
}

/** What every stage that installs starts with: registry settings, then the tool itself. */
function installPrelude(trust: InstallTrust, manager: Manager): string[] {
  return [...(trust.trustedInstall ? [] : [SCRIPTS_OFF_NOTE]), ...manager.setup];
}

/** `RUN` of a package-manager command in the member folder `at` (exec form: never shell text). */
function runIn(at: string, command: string): string {
  return at === "."
    ? `RUN ${command}`
    : execRun("", ["/bin/sh", "-c", `cd -- "$0" && ${command}`, at]);
}

/**
 * Multi-stage Dockerfile for a Node/Bun server, or for an SPA served by a small static server.
 * The build stage installs every dependency (the build, `prisma generate`, `next build` need dev
 * ones), builds, then prunes dev dependencies; the runtime stage gets the result and nothing of
 * the package manager's caches. Manifests and the lockfile are copied before the source, so the
 * install layer is reused until they change. A workspace member builds from the workspace root.
 */
export function nodeDockerfile(ctx: NodeContext): string {
  const { service, view } = ctx;
  const trust = ctx.trust ?? {};
  const managerName = service.packageManager?.value ?? "npm";
  const context = plainPath(service.context.value, "a comment");
  const at =
    context === service.path
      ? "."
      : plainPath(path.posix.relative(context, service.path), "a WORKDIR line");
  const rootFiles = installFiles(view, context, managerName);
  const hasLock = rootFiles.some((f) => f === "bun.lockb" || Object.values(LOCKFILE).includes(f));
  const manager = managerCommands(
    managerName,
    hasLock,
    service.packageManagerVersion?.value,
    trust,
  );
  const pkg = parsePackageJson(view.read(joinPath(service.path, "package.json")));
  const mounts = installMounts("npm");
  const port = safePort(service.port?.value, service.spa ? 8080 : 3000);
  const start = service.startCommand?.value ?? "node index.js";
  const lines = [header(service, ctx.command), ""];

  let base: { arg: string; image: string };
  let legacy: string | undefined;
  if (service.language.value === "bun") base = { arg: BASE_ARGS.bun, image: "oven/bun:1-slim" };
  else {
    const runtime = nodeRuntime(view, service.path);
    if (runtime.source !== "default")
      lines.push(
        `# Node ${runtime.version}, as ${runtime.source} asks${runtime.note ? ` (${runtime.note})` : ""}.`,
      );
    base = { arg: BASE_ARGS.node, image: `node:${runtime.version}-bookworm-slim` };
    legacy = legacyOpenssl(view, service.path, Number(runtime.version));
  }
  lines.push(`ARG ${base.arg}=${base.image}`);
  if (service.spa) lines.push(`ARG ${BASE_ARGS.static}=busybox:1.36`);
  const legacyEnv = legacy
    ? [
        `# ${legacy} hashes with MD4, which OpenSSL 3 (Node >= 17) refuses without the legacy provider.`,
        "ENV NODE_OPTIONS=--openssl-legacy-provider",
      ]
    : [];

  // Manifests of the workspace's members first: `npm ci` needs every one of them.
  // A folder name a COPY line cannot hold: then the whole workspace is copied before the install.
  const found = at === "." ? [] : workspaceManifests(view, context);
  const members = found?.every((m) => isSafeName(m) && isPlainPath(m)) ? found : undefined;
  const yarnReleases = view.list(joinPath(context, ".yarn/releases")) ? [".yarn/releases"] : [];
  const manifestCopies =
    members === undefined
      ? ["# Too many, or oddly named, workspace manifests to copy one by one.", "COPY . ."]
      : [
          `COPY ${rootFiles.join(" ")} ./`,
          ...yarnReleases.map((d) => `COPY ${d} ./${d}/`),
          ...members.map((dir) => `COPY ${dir}/package.json ./${dir}/`),
        ];
  const needsDev = devToolAtStart(pkg, start);
  const hasBuild = service.buildCommand !== undefined;
  // With nothing to build and nothing from devDependencies at start, install production only.
  const fullInstall = hasBuild || needsDev !== undefined || service.spa;
  lines.push(
    "",
    ...(at === "."
      ? []
      : [`# Builds from the workspace root: build with -f ${service.path}/Dockerfile ${context}`]),
    `FROM \${${base.arg}} AS build`,
    "WORKDIR /app",
    ...installPrelude(trust, manager),
    ...manifestCopies,
    `RUN ${mounts} ${manager.cache} \\\n    ${manager.install(!fullInstall)}`,
    "COPY . .",
    ...legacyEnv,
  );
  if (!trust.trustedInstall && pkg?.scripts?.postinstall)
    lines.push(
      "# The repository's own postinstall (prisma generate…); its dependencies' scripts stay off.",
      runIn(at, manager.run("postinstall")),
    );
  if (hasBuild) lines.push(runIn(at, manager.run("build")));
  if (service.spa) {
    const output = plainPath(service.outputDir?.value ?? "dist", "a COPY line");
    const from = at === "." ? `/app/${output}` : `/app/${at}/${output}`;
    lines.push("", ...staticRuntime(`COPY --from=build ${from} /www`, port));
    return `${lines.join("\n")}\n`;
  }
  const next = service.framework?.value === "nextjs";
  if (next && hasBuild)
    lines.push(
      "# next build's cache is for rebuilds, not for serving.",
      runIn(at, "rm -rf .next/cache"),
    );
  if (needsDev)
    lines.push(`# The start runs ${needsDev}, a devDependency: dev dependencies stay installed.`);
  else if (fullInstall)
    lines.push(
      "# Dev dependencies were for the build only.",
      `RUN ${mounts} ${manager.cache} \\\n    ${manager.prune}`,
    );
  const workdir = at === "." ? "/app" : `/app/${at}`;
  // A start through pnpm or yarn 1 needs the tool, which the build stage installed globally.
  const tool = /^(pnpm|yarn)\b/.exec(start)?.[1];
  const toolCopy =
    tool && tool === managerName
      ? [
          `# The start runs ${tool}: the copy the build stage installed.`,
          `COPY --from=build /usr/local/lib/node_modules/${tool} /usr/local/lib/node_modules/${tool}`,
          `RUN ln -sf ../lib/node_modules/${tool}/bin/${tool === "pnpm" ? "pnpm.cjs" : "yarn.js"} /usr/local/bin/${tool}`,
        ]
      : [];
  lines.push(
    "",
    `FROM \${${base.arg}} AS runtime`,
    CREATE_APP_USER,
    ...toolCopy,
    "WORKDIR /app",
    // HOST: servers that bind localhost unless told (Astro, Nuxt) must answer outside the container.
    `ENV NODE_ENV=production HOST=0.0.0.0 PORT=${port}`,
    ...(legacy ? ["ENV NODE_OPTIONS=--openssl-legacy-provider"] : []),
    // Owned by root: the app user reads the code and cannot change it.
    "COPY --from=build /app ./",
    writableDir(workdir),
    ...(next ? [`RUN install -d -o app -g app ${workdir}/.next/cache`] : []),
    ...(at === "." ? [] : [`WORKDIR ${workdir}`]),
    "USER app",
    `EXPOSE ${port}`,
    shellCmd(start),
  );
  return `${lines.join("\n")}\n`;
}
