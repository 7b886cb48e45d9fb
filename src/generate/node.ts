import type { PackageManager, Service } from "../detect/types.js";
import {
  BASE_ARGS,
  CREATE_APP_USER,
  execRun,
  header,
  type InstallTrust,
  installMounts,
  majorVersion,
  plainPath,
  SCRIPTS_OFF_NOTE,
  safePort,
  shellCmd,
  staticRuntime,
} from "./common.js";

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
    case "pnpm":
      return {
        setup: [`RUN ${setupMounts} npm install -g --no-fund --no-audit pnpm@${version}`],
        cache: "--mount=type=cache,target=/root/.local/share/pnpm/store,sharing=locked",
        install: (prod) =>
          `pnpm install ${hasLock ? "--frozen-lockfile" : "--no-frozen-lockfile"}${prod ? " --prod" : ""}${off}`,
        run: (s) => `pnpm run ${s}`,
      };
    case "yarn":
      return {
        setup: [`RUN ${setupMounts} npm install -g --no-fund --no-audit --force yarn@1`],
        cache: "--mount=type=cache,target=/usr/local/share/.cache/yarn,sharing=locked",
        install: (prod) =>
          `yarn install ${hasLock ? "--frozen-lockfile" : ""}${prod ? " --production" : ""}${off}`
            .replace(/ {2,}/g, " ")
            .trim(),
        run: (s) => `yarn run ${s}`,
      };
    case "yarn-berry": {
      const env = trust.trustedInstall ? "" : "YARN_ENABLE_SCRIPTS=false ";
      return {
        setup: ["RUN corepack enable"],
        cache: "--mount=type=cache,target=/root/.yarn/berry/cache,sharing=locked",
        install: (prod) =>
          prod
            ? `${env}yarn workspaces focus --all --production`
            : `${env}yarn install ${hasLock ? "--immutable" : ""}`.trim(),
        run: (s) => `yarn run ${s}`,
      };
    }
    case "bun":
      return {
        setup: [],
        cache: "--mount=type=cache,target=/root/.bun/install/cache,sharing=locked",
        install: (prod) =>
          `bun install ${hasLock ? "--frozen-lockfile" : ""}${prod ? " --production" : ""}${off}`
            .replace(/ {2,}/g, " ")
            .trim(),
        run: (s) => `bun run ${s}`,
      };
    default:
      return {
        setup: [],
        cache: "--mount=type=cache,target=/root/.npm,sharing=locked",
        install: (prod) =>
          `${hasLock ? "npm ci" : "npm install"} --no-fund --no-audit${prod ? " --omit=dev" : ""}${off}`,
        run: (s) => `npm run ${s}`,
      };
  }
}

export interface NodeContext {
  service: Service;
  /** Files present in the service folder: which manifests exist decides what is copied first. */
  files: ReadonlySet<string>;
  command: string;
  trust?: InstallTrust;
}

function baseImage(service: Service): { arg: string; image: string } {
  if (service.language.value === "bun") return { arg: BASE_ARGS.bun, image: "oven/bun:1-slim" };
  const major = majorVersion(service.runtimeVersion?.value, 20, 18, 24);
  return { arg: BASE_ARGS.node, image: `node:${major}-bookworm-slim` };
}

function manifests(ctx: NodeContext): { copy: string; hasLock: boolean } {
  const manager = ctx.service.packageManager?.value ?? "npm";
  const lock = manager === "bun" && ctx.files.has("bun.lockb") ? "bun.lockb" : LOCKFILE[manager];
  const present = [
    "package.json",
    ...(lock && ctx.files.has(lock) ? [lock] : []),
    ...(manager === "yarn-berry" && ctx.files.has(".yarnrc.yml") ? [".yarnrc.yml"] : []),
  ];
  return { copy: `COPY ${present.join(" ")} ./`, hasLock: present.length > 1 };
}

/** What every stage that installs starts with: registry settings, then the tool itself. */
function installPrelude(trust: InstallTrust, manager: Manager): string[] {
  return [...(trust.trustedInstall ? [] : [SCRIPTS_OFF_NOTE]), ...manager.setup];
}

/** Multi-stage Dockerfile for a Node/Bun server, or for an SPA served by a small static server. */
export function nodeDockerfile(ctx: NodeContext): string {
  const { service } = ctx;
  const trust = ctx.trust ?? {};
  const { arg, image } = baseImage(service);
  const { copy, hasLock } = manifests(ctx);
  const workspace = service.context.value !== service.path;
  const manager = managerCommands(
    service.packageManager?.value ?? "npm",
    hasLock || workspace,
    service.packageManagerVersion?.value,
    trust,
  );
  const mounts = installMounts("npm");
  const installDev = `RUN ${mounts} ${manager.cache} \\\n    ${manager.install(false)}`;
  const hasBuild = service.buildCommand !== undefined;
  const port = safePort(service.port?.value, service.spa ? 8080 : 3000);
  const lines = [header(service, ctx.command), "", `ARG ${arg}=${image}`];
  if (workspace) return workspaceDockerfile(ctx, lines, arg, manager, port);
  // Dev dependencies, the source, the build: what both SPAs and compiled servers start from.
  const buildStage = [
    "",
    `FROM \${${arg}} AS build`,
    "WORKDIR /app",
    ...installPrelude(trust, manager),
    copy,
    installDev,
    "COPY . .",
    `RUN ${manager.run("build")}`,
  ];
  if (service.spa) {
    const output = plainPath(service.outputDir?.value ?? "dist", "a COPY line");
    lines.push(
      `ARG ${BASE_ARGS.static}=busybox:1.36`,
      ...buildStage,
      "",
      ...staticRuntime(`COPY --from=build /app/${output} /www`, port),
    );
    return `${lines.join("\n")}\n`;
  }
  lines.push(
    "",
    `FROM \${${arg}} AS deps`,
    "WORKDIR /app",
    ...installPrelude(trust, manager),
    copy,
    // A package without dependencies gets no node_modules, which the runtime stage copies.
    `RUN ${mounts} ${manager.cache} \\\n    ${manager.install(true)} && mkdir -p node_modules`,
  );
  if (hasBuild) lines.push(...buildStage);
  const start = service.startCommand?.value ?? "node index.js";
  lines.push(
    "",
    `FROM \${${arg}} AS runtime`,
    CREATE_APP_USER,
    "WORKDIR /app",
    `ENV NODE_ENV=production PORT=${port}`,
    "COPY --from=deps --chown=app:app /app/node_modules ./node_modules",
    hasBuild ? "COPY --from=build --chown=app:app /app ./" : "COPY --chown=app:app . .",
  );
  if (hasBuild) lines.push("COPY --from=deps --chown=app:app /app/node_modules ./node_modules");
  lines.push("USER app", `EXPOSE ${port}`, shellCmd(start));
  return `${lines.join("\n")}\n`;
}

/**
 * A workspace member builds from the workspace root (its lockfile and sibling packages live
 * there): install once for the workspace, build in the member's folder, prune dev dependencies.
 * The member's folder reaches the build step as an argument (exec form), never through a shell
 * line; COPY and WORKDIR lines, which cannot quote everything, take only a plain path.
 */
function workspaceDockerfile(
  ctx: NodeContext,
  lines: string[],
  arg: string,
  manager: Manager,
  port: number,
): string {
  const { service } = ctx;
  const trust = ctx.trust ?? {};
  const at = plainPath(service.path, "a WORKDIR line");
  const context = plainPath(service.context.value, "a comment");
  const prune: Record<string, string> = { npm: "npm prune --omit=dev", pnpm: "pnpm prune --prod" };
  lines.push(
    ...(service.spa ? [`ARG ${BASE_ARGS.static}=busybox:1.36`] : []),
    "",
    `# Builds from the workspace root (${context}): build with -f ${at}/Dockerfile ${context}`,
    `FROM \${${arg}} AS build`,
    "WORKDIR /app",
    ...installPrelude(trust, manager),
    "COPY . .",
    `RUN ${installMounts("npm")} ${manager.cache} \\\n    ${manager.install(false)}`,
    ...(service.buildCommand
      ? [execRun("", ["/bin/sh", "-c", `cd -- "$0" && ${manager.run("build")}`, at])]
      : []),
  );
  if (service.spa) {
    const output = plainPath(service.outputDir?.value ?? "dist", "a COPY line");
    lines.push("", ...staticRuntime(`COPY --from=build /app/${at}/${output} /www`, port));
    return `${lines.join("\n")}\n`;
  }
  const pruneCommand = prune[service.packageManager?.value ?? "npm"];
  if (pruneCommand) lines.push(`RUN ${pruneCommand}`);
  lines.push(
    "",
    `FROM \${${arg}} AS runtime`,
    CREATE_APP_USER,
    "COPY --from=build --chown=app:app /app /app",
    `WORKDIR /app/${at}`,
    `ENV NODE_ENV=production PORT=${port}`,
    "USER app",
    `EXPOSE ${port}`,
    shellCmd(service.startCommand?.value ?? "node index.js"),
  );
  return `${lines.join("\n")}\n`;
}
