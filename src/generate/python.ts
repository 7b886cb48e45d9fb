import type { RepoView } from "../detect/repo-view.js";
import { pythonRuntime } from "../detect/runtime-version.js";
import type { Service } from "../detect/types.js";
import {
  BASE_ARGS,
  CREATE_APP_USER,
  header,
  installMounts,
  safePort,
  shellCmd,
  writableDir,
} from "./common.js";

const PIP_CACHE = "--mount=type=cache,target=/root/.cache/pip,sharing=locked";

function installSteps(service: Service, files: ReadonlySet<string>): string[] {
  const mounts = installMounts("pip");
  const manager = service.packageManager?.value ?? "pip";
  if (manager === "uv") {
    return [
      "COPY pyproject.toml uv.lock ./",
      `RUN ${mounts} ${PIP_CACHE} \\\n    pip install uv && UV_PROJECT_ENVIRONMENT=/opt/venv uv sync --frozen --no-dev --no-install-project`,
    ];
  }
  if (manager === "poetry") {
    const lock = files.has("poetry.lock") ? " poetry.lock" : "";
    return [
      `COPY pyproject.toml${lock} ./`,
      `RUN ${mounts} ${PIP_CACHE} \\\n    pip install poetry && POETRY_VIRTUALENVS_CREATE=false poetry install --only main --no-root --no-interaction`,
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
    `FROM \${${BASE_ARGS.python}} AS build`,
    "ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1 VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH",
    "WORKDIR /app",
    "RUN python3 -m venv /opt/venv",
    ...installSteps(service, ctx.files),
    "",
    `FROM \${${BASE_ARGS.python}} AS runtime`,
    CREATE_APP_USER,
    "WORKDIR /app",
    `ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH PORT=${port}`,
    // Owned by root: the app user reads the code and cannot change it.
    "COPY --from=build /opt/venv /opt/venv",
    "COPY . .",
    writableDir("/app"),
    "USER app",
    `EXPOSE ${port}`,
    shellCmd(start),
  ].join("\n")}\n`;
}
