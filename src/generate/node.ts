import type { PackageManager, Service } from "../detect/types.js";
import {
  BASE_ARGS,
  CREATE_APP_USER,
  header,
  majorVersion,
  SECRET_MOUNTS,
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

/** Install commands with a frozen lockfile when there is one. */
export function managerCommands(manager: PackageManager, hasLock: boolean, pin?: string): Manager {
  switch (manager) {
    case "pnpm":
      return {
        setup: [`RUN ${SECRET_MOUNTS.npm} npm install -g --no-fund --no-audit pnpm@${pin ?? "9"}`],
        cache: "--mount=type=cache,target=/root/.local/share/pnpm/store,sharing=locked",
        install: (prod) =>
          `pnpm install ${hasLock ? "--frozen-lockfile" : "--no-frozen-lockfile"}${prod ? " --prod" : ""}`,
        run: (s) => `pnpm run ${s}`,
      };
    case "yarn":
      return {
        setup: [`RUN ${SECRET_MOUNTS.npm} npm install -g --no-fund --no-audit --force yarn@1`],
        cache: "--mount=type=cache,target=/usr/local/share/.cache/yarn,sharing=locked",
        install: (prod) =>
          `yarn install ${hasLock ? "--frozen-lockfile" : ""}${prod ? " --production" : ""}`
            .replace(/ {2,}/g, " ")
            .trim(),
        run: (s) => `yarn run ${s}`,
      };
    case "yarn-berry":
      return {
        setup: ["RUN corepack enable"],
        cache: "--mount=type=cache,target=/root/.yarn/berry/cache,sharing=locked",
        install: (prod) =>
          prod
            ? "yarn workspaces focus --all --production"
            : `yarn install ${hasLock ? "--immutable" : ""}`.trim(),
        run: (s) => `yarn run ${s}`,
      };
    case "bun":
      return {
        setup: [],
        cache: "--mount=type=cache,target=/root/.bun/install/cache,sharing=locked",
        install: (prod) =>
          `bun install ${hasLock ? "--frozen-lockfile" : ""}${prod ? " --production" : ""}`
            .replace(/ {2,}/g, " ")
            .trim(),
        run: (s) => `bun run ${s}`,
      };
    default:
      return {
        setup: [],
        cache: "--mount=type=cache,target=/root/.npm,sharing=locked",
        install: (prod) =>
          `${hasLock ? "npm ci" : "npm install"} --no-fund --no-audit${prod ? " --omit=dev" : ""}`,
        run: (s) => `npm run ${s}`,
      };
  }
}

export interface NodeContext {
  service: Service;
  /** Files present in the service folder: which manifests exist decides what is copied first. */
  files: ReadonlySet<string>;
  command: string;
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

/** Multi-stage Dockerfile for a Node/Bun server, or for an SPA served by a small static server. */
export function nodeDockerfile(ctx: NodeContext): string {
  const { service } = ctx;
  const { arg, image } = baseImage(service);
  const { copy, hasLock } = manifests(ctx);
  const workspace = service.context.value !== service.path;
  const manager = managerCommands(
    service.packageManager?.value ?? "npm",
    hasLock || workspace,
    service.packageManagerVersion?.value,
  );
  const installDev = `RUN ${SECRET_MOUNTS.npm} ${manager.cache} \\\n    ${manager.install(false)}`;
  const hasBuild = service.buildCommand !== undefined;
  const port = service.port?.value ?? 3000;
  const lines = [header(service, ctx.command), "", `ARG ${arg}=${image}`];
  if (workspace) return workspaceDockerfile(ctx, lines, arg, manager, port);
  // Dev dependencies, the source, the build: what both SPAs and compiled servers start from.
  const buildStage = [
    "",
    `FROM \${${arg}} AS build`,
    "WORKDIR /app",
    ...manager.setup,
    copy,
    installDev,
    "COPY . .",
    `RUN ${manager.run("build")}`,
  ];
  if (service.spa) {
    const output = service.outputDir?.value ?? "dist";
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
    ...manager.setup,
    copy,
    `RUN ${SECRET_MOUNTS.npm} ${manager.cache} \\\n    ${manager.install(true)}`,
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
 */
function workspaceDockerfile(
  ctx: NodeContext,
  lines: string[],
  arg: string,
  manager: Manager,
  port: number,
): string {
  const { service } = ctx;
  const at = service.path;
  const prune: Record<string, string> = { npm: "npm prune --omit=dev", pnpm: "pnpm prune --prod" };
  lines.push(
    ...(service.spa ? [`ARG ${BASE_ARGS.static}=busybox:1.36`] : []),
    "",
    `# Builds from the workspace root (${service.context.value}): build with -f ${at}/Dockerfile ${service.context.value}`,
    `FROM \${${arg}} AS build`,
    "WORKDIR /app",
    ...manager.setup,
    "COPY . .",
    `RUN ${SECRET_MOUNTS.npm} ${manager.cache} \\\n    ${manager.install(false)}`,
    ...(service.buildCommand ? [`RUN cd ${at} && ${manager.run("build")}`] : []),
  );
  if (service.spa) {
    lines.push(
      "",
      ...staticRuntime(
        `COPY --from=build /app/${at}/${service.outputDir?.value ?? "dist"} /www`,
        port,
      ),
    );
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
