import path from "node:path";
import { joinPath, type RepoView } from "../detect/repo-view.js";
import { pythonRuntime } from "../detect/runtime-version.js";
import type { Service } from "../detect/types.js";
import { isPlainPath, isSafeName } from "../fs/untrusted.js";
import {
  BASE_ARGS,
  CREATE_APP_USER,
  header,
  installMounts,
  plainPath,
  safePort,
  shellCmd,
  writableDir,
} from "./common.js";
import { workspaceManifests } from "./workspace-manifests.js";

const PIP_CACHE = "--mount=type=cache,target=/root/.cache/pip,sharing=locked";
const UV_CACHE = "--mount=type=cache,target=/root/.cache/uv,sharing=locked";
// uv and poetry read neither pip.conf nor the system's CA store: they get the mounted CA this way.
const TOOL_CA =
  "if [ -s /run/secrets/hilt-ca.pem ]; then export SSL_CERT_FILE=/run/secrets/hilt-ca.pem REQUESTS_CA_BUNDLE=/run/secrets/hilt-ca.pem; fi";
// Installers live in their own venv, so the runtime copy of /opt/venv holds only the app's packages.
const TOOLS = "python3 -m venv /opt/tools && /opt/tools/bin/pip install";

interface Layout {
  /** The service folder relative to the build context ("." unless a workspace member). */
  at: string;
  /** pyproject.toml files of the workspace's members, relative to the context. */
  members: string[];
  /** The member's project name, for `uv sync --package`. */
  packageName?: string;
}

function installSteps(service: Service, files: ReadonlySet<string>, layout: Layout): string[] {
  const mounts = installMounts("pip");
  const manager = service.packageManager?.value ?? "pip";
  if (manager === "uv") {
    const only = layout.packageName ? ` --package ${layout.packageName}` : "";
    return [
      "COPY pyproject.toml uv.lock ./",
      ...layout.members.map((m) => `COPY ${m}/pyproject.toml ./${m}/`),
      `RUN ${mounts} ${PIP_CACHE} ${UV_CACHE} \\\n    ${TOOL_CA}; \\\n    ${TOOLS} uv && UV_PROJECT_ENVIRONMENT=/opt/venv /opt/tools/bin/uv sync --frozen --no-dev --no-install-workspace${only}`,
    ];
  }
  if (manager === "poetry") {
    const lock = files.has("poetry.lock") ? " poetry.lock" : "";
    return [
      `COPY pyproject.toml${lock} ./`,
      `RUN ${mounts} ${PIP_CACHE} \\\n    ${TOOL_CA}; \\\n    ${TOOLS} poetry && POETRY_VIRTUALENVS_CREATE=false /opt/tools/bin/poetry install --only main --no-root --no-interaction`,
    ];
  }
  if (files.has("requirements.txt")) {
    return [
      "COPY requirements.txt ./",
      `RUN ${mounts} ${PIP_CACHE} \\\n    pip install -r requirements.txt`,
    ];
  }
  return ["COPY . .", `RUN ${mounts} ${PIP_CACHE} \\\n    pip install .`];
}

/** Where a service sits in its build context: a uv workspace member builds from the root. */
function layoutOf(view: RepoView, service: Service): Layout {
  const context = service.context.value;
  if (context === service.path) return { at: ".", members: [] };
  const at = plainPath(path.posix.relative(context, service.path), "a WORKDIR line");
  const members = (workspaceManifests(view, context, "pyproject.toml") ?? [at]).filter(
    (m) => isSafeName(m) && isPlainPath(m),
  );
  const project = /\[project\]([^[]*)/.exec(
    view.read(joinPath(service.path, "pyproject.toml")) ?? "",
  );
  const name = /^\s*name\s*=\s*["']([A-Za-z0-9][A-Za-z0-9._-]*)["']/m.exec(project?.[1] ?? "")?.[1];
  return { at, members, ...(name ? { packageName: name } : {}) };
}

/** A venv built in one stage and copied into a slim runtime that runs as a non-root user. */
export function pythonDockerfile(ctx: {
  service: Service;
  files: ReadonlySet<string>;
  view: RepoView;
  command: string;
}): string {
  const { service } = ctx;
  const runtime = pythonRuntime(ctx.view, service.path);
  const image = `python:${runtime.version}-slim-bookworm`;
  const port = safePort(service.port?.value, 8000);
  const start = (service.startCommand?.value ?? "python main.py").replace(/\$PORT\b/g, "${PORT}");
  const layout = layoutOf(ctx.view, service);
  const files =
    layout.at === "." ? ctx.files : new Set(ctx.view.list(service.context.value)?.files ?? []);
  const workdir = layout.at === "." ? "/app" : `/app/${layout.at}`;
  return `${[
    header(service, ctx.command),
    "",
    ...(runtime.source === "default"
      ? []
      : [
          `# Python ${runtime.version}, as ${runtime.source} asks${runtime.note ? ` (${runtime.note})` : ""}.`,
        ]),
    `ARG ${BASE_ARGS.python}=${image}`,
    "",
    ...(layout.at === "."
      ? []
      : [
          `# Builds from the workspace root: build with -f ${service.path}/Dockerfile ${service.context.value}`,
        ]),
    `FROM \${${BASE_ARGS.python}} AS build`,
    "ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1 VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH",
    "WORKDIR /app",
    "RUN python3 -m venv /opt/venv",
    ...installSteps(service, files, layout),
    "",
    `FROM \${${BASE_ARGS.python}} AS runtime`,
    CREATE_APP_USER,
    "WORKDIR /app",
    `ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH PORT=${port}`,
    // Owned by root: the app user reads the code and cannot change it.
    "COPY --from=build /opt/venv /opt/venv",
    "COPY . .",
    writableDir(workdir),
    ...(layout.at === "." ? [] : [`WORKDIR ${workdir}`]),
    "USER app",
    `EXPOSE ${port}`,
    shellCmd(start),
  ].join("\n")}\n`;
}
