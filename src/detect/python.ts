import { upwards } from "./node.js";
import { CONFIG_FILES, portInCommand, portInConfig, portInSource } from "./ports.js";
import type { RepoView } from "./repo-view.js";
import { joinPath } from "./repo-view.js";
import { type Analysis, type Fact, fact } from "./types.js";

export const PYTHON_MANIFESTS = ["pyproject.toml", "requirements.txt", "Pipfile", "setup.py"];

const FRAMEWORKS = [
  { dep: "fastapi", name: "fastapi", port: 8000, constructor: "FastAPI" },
  { dep: "django", name: "django", port: 8000, constructor: undefined },
  { dep: "flask", name: "flask", port: 5000, constructor: "Flask" },
  { dep: "starlette", name: "starlette", port: 8000, constructor: "Starlette" },
  { dep: "quart", name: "quart", port: 5000, constructor: "Quart" },
];

const ENTRY_FILES = [
  "main.py",
  "app.py",
  "server.py",
  "api.py",
  "run.py",
  "wsgi.py",
  "asgi.py",
  "app/main.py",
  "app/app.py",
  "app/__init__.py",
  "src/main.py",
  "src/app.py",
  "src/app/main.py",
  "api/main.py",
];

/** Packages a folder may keep its app in besides the conventional names: <name>/main.py… */
const PACKAGE_FILES = ["main.py", "app.py", "asgi.py", "wsgi.py", "__init__.py"];
const PACKAGES_LOOKED_AT = 16;

/** Factory functions by their usual names. */
const FACTORY = /^(?:async\s+)?def\s+(create_app|make_app|get_app|get_application|app_factory)\(/m;

/** Code that keeps running: a server, a consumer loop, a scheduler, a worker. */
const LONG_RUNNING =
  /serve_forever|HTTPServer|uvicorn\.run|web\.run_app|\.run_forever\(|while True|schedule\.every|Celery\(|\.start_consuming\(|app\.run\(|socketserver|asyncio\.Event\(\)\.wait|BlockingScheduler/;

function dependencyText(view: RepoView, dir: string): { text: string; files: string[] } {
  const files = PYTHON_MANIFESTS.map((f) => joinPath(dir, f)).filter(
    (f) => view.read(f) !== undefined,
  );
  return {
    text: files
      .map((f) => view.read(f) ?? "")
      .join("\n")
      .toLowerCase(),
    files,
  };
}

/** A uv or poetry lockfile here or in a folder above (a workspace keeps it at its root). */
function lockfile(view: RepoView, dir: string): Fact<"uv" | "poetry"> | undefined {
  for (const folder of upwards(dir)) {
    const files = new Set(view.list(folder)?.files ?? []);
    if (files.has("uv.lock")) return fact("uv", joinPath(folder, "uv.lock"));
    if (files.has("poetry.lock")) return fact("poetry", joinPath(folder, "poetry.lock"));
  }
  return undefined;
}

const moduleOf = (file: string) => file.replace(/(\/__init__)?\.py$/, "").replace(/\//g, ".");

interface AppObject {
  /** module:attribute */
  target: string;
  factory: boolean;
  file: string;
}

/**
 * The ASGI/WSGI object a file defines at module level: `app = FastAPI()`, `app = create_app()`
 * (a factory defined in the file or imported), or else a factory function itself. An object
 * assigned inside a function is a local variable: a server cannot import it.
 */
function appObject(source: string, file: string, ctor: string): AppObject | undefined {
  const direct = new RegExp(
    `^([A-Za-z_]\\w*)\\s*(?::\\s*[\\w.\\[\\]]+\\s*)?=\\s*(?:\\w+\\.)?${ctor}\\(`,
    "m",
  ).exec(source)?.[1];
  if (direct) return { target: `${moduleOf(file)}:${direct}`, factory: false, file };
  const built = /^([A-Za-z_]\w*)\s*(?::\s*[\w.]+\s*)?=\s*([A-Za-z_]\w*)\(/gm;
  for (const match of source.matchAll(built)) {
    const [, name, callee] = match;
    if (!name || !callee) continue;
    const definedHere = new RegExp(`^(?:async\\s+)?def\\s+${callee}\\(`, "m").test(source);
    if ((definedHere && source.includes(`${ctor}(`)) || FACTORY.test(`def ${callee}(`))
      return { target: `${moduleOf(file)}:${name}`, factory: false, file };
  }
  const factory = FACTORY.exec(source)?.[1];
  if (factory && source.includes(`${ctor}(`))
    return { target: `${moduleOf(file)}:${factory}`, factory: true, file };
  return undefined;
}

/** Files that may define the app: the conventional ones, then <package>/main.py and the like. */
function entryFiles(view: RepoView, dir: string): string[] {
  const packages = (view.list(dir)?.dirs ?? [])
    .filter((d) => /^[A-Za-z_]\w*$/.test(d) && !["tests", "test", "migrations"].includes(d))
    .slice(0, PACKAGES_LOOKED_AT);
  const more = packages.flatMap((p) => PACKAGE_FILES.map((f) => `${p}/${f}`));
  return [...new Set([...ENTRY_FILES, ...more])];
}

/** A script run as a program: `if __name__ == "__main__":` in a file at the folder's top. */
export function mainScript(view: RepoView, dir: string): string | undefined {
  const scripts = (view.list(dir)?.files ?? []).filter((f) => f.endsWith(".py")).slice(0, 32);
  const ordered = [
    ...ENTRY_FILES.filter((f) => scripts.includes(f)),
    ...scripts.filter((f) => !ENTRY_FILES.includes(f) && f !== "setup.py" && f !== "manage.py"),
  ];
  return ordered.find((f) =>
    /^if\s+__name__\s*==\s*["']__main__["']/m.test(view.read(joinPath(dir, f)) ?? ""),
  );
}

/**
 * The program a pyproject installs ([project.scripts] or [tool.poetry.scripts]): run as
 * `python -m module` when the module runs as a script, else by the script's name.
 */
function projectScript(
  view: RepoView,
  dir: string,
  pyproject: string,
): { command: Fact<string>; file?: string } | undefined {
  const section = /^\[(?:project|tool\.poetry)\.scripts\]\s*$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(
    pyproject,
  )?.[1];
  const entry = section
    ? /^\s*["']?([\w.-]+)["']?\s*=\s*["']([\w.]+):[\w.]+["']/m.exec(section)
    : null;
  if (!entry) return undefined;
  const [, name, module] = entry;
  if (!name || !module) return undefined;
  const where = `${joinPath(dir, "pyproject.toml")}#scripts.${name}`;
  const path = module.replace(/\./g, "/");
  const file = [`${path}.py`, `src/${path}.py`].find(
    (f) => view.read(joinPath(dir, f)) !== undefined,
  );
  const runsAsMain =
    file !== undefined &&
    /^if\s+__name__\s*==\s*["']__main__["']/m.test(view.read(joinPath(dir, file)) ?? "");
  return {
    command: fact(runsAsMain ? `python -m ${module}` : name, where),
    ...(file ? { file } : {}),
  };
}

/**
 * The Python version the repository pins: .python-version or runtime.txt (nearest folder up:
 * a workspace keeps them at its root), Pipfile's python_version, then requires-python.
 */
function pythonVersion(view: RepoView, dir: string, pyproject: string): Fact<string> | undefined {
  for (const folder of upwards(dir)) {
    const pinned = view.read(joinPath(folder, ".python-version"))?.trim().split(/\s+/)[0];
    if (pinned) return fact(pinned, joinPath(folder, ".python-version"));
    const runtime = /^python-(\d+\.\d+(?:\.\d+)?)\s*$/.exec(
      view.read(joinPath(folder, "runtime.txt"))?.trim() ?? "",
    )?.[1];
    if (runtime) return fact(runtime, joinPath(folder, "runtime.txt"));
  }
  const pipfile = /^\s*python_(?:full_)?version\s*=\s*["']([\d.]+)["']/m.exec(
    view.read(joinPath(dir, "Pipfile")) ?? "",
  )?.[1];
  if (pipfile) return fact(pipfile, `${joinPath(dir, "Pipfile")}#requires.python_version`);
  const requires = /requires-python\s*=\s*["']([^"']+)["']/.exec(pyproject)?.[1];
  if (requires) return fact(requires, `${joinPath(dir, "pyproject.toml")}#requires-python`);
  const poetry = /^\s*python\s*=\s*["']([^"'\n]+)["']/m.exec(
    /\[tool\.poetry\.dependencies\]([^[]*)/.exec(pyproject)?.[1] ?? "",
  )?.[1];
  if (poetry)
    return fact(poetry, `${joinPath(dir, "pyproject.toml")}#tool.poetry.dependencies.python`);
  return undefined;
}

export function analyzePython(view: RepoView, dir: string): Analysis {
  const listing = new Set(view.list(dir)?.files ?? []);
  const { text, files } = dependencyText(view, dir);
  const pyproject = view.read(joinPath(dir, "pyproject.toml")) ?? "";
  const lock = lockfile(view, dir);
  const service: Analysis = {
    language: fact("python", files[0] ?? joinPath(dir, "requirements.txt")),
    spa: false,
    packageManager:
      lock ??
      (/\[tool\.poetry\]/.test(pyproject)
        ? fact("poetry", joinPath(dir, "pyproject.toml"))
        : fact("pip", files.find((f) => f.endsWith("requirements.txt")) ?? files[0] ?? "default")),
  };
  const version = pythonVersion(view, dir, pyproject);
  if (version) service.runtimeVersion = version;
  const framework = FRAMEWORKS.find((f) => new RegExp(`(^|[\\s"'\\[])${f.dep}\\b`, "m").test(text));
  if (framework) service.framework = fact(framework.name, `${files[0]}: ${framework.dep}`);

  const candidates = entryFiles(view, dir);
  let app: AppObject | undefined;
  if (framework?.constructor) {
    const found = candidates
      .map((file) => {
        const source = view.read(joinPath(dir, file));
        return source ? appObject(source, file, framework.constructor as string) : undefined;
      })
      .filter((a): a is AppObject => a !== undefined);
    app = found.find((a) => !a.factory) ?? found[0];
  }
  if (app) service.entry = fact(app.target, joinPath(dir, app.file));
  const gunicorn = /(^|\s)gunicorn\b/m.test(text);
  const source = app ? joinPath(dir, app.file) : "";
  if (app && (framework?.name === "fastapi" || framework?.name === "starlette")) {
    const factory = app.factory ? "--factory " : "";
    service.startCommand = fact(
      `uvicorn ${factory}${app.target} --host 0.0.0.0 --port $PORT`,
      source,
    );
  } else if (app && (framework?.name === "flask" || framework?.name === "quart")) {
    // gunicorn cannot name a factory without shell syntax; flask --app calls it.
    service.startCommand =
      gunicorn && !app.factory && framework.name === "flask"
        ? fact(`gunicorn --bind 0.0.0.0:$PORT ${app.target}`, source)
        : fact(`${framework.name} --app ${app.target} run --host 0.0.0.0 --port $PORT`, source);
  } else if (framework?.name === "django" && listing.has("manage.py")) {
    const settings = /DJANGO_SETTINGS_MODULE['"],\s*['"]([\w.]+)\.settings/.exec(
      view.read(joinPath(dir, "manage.py")) ?? "",
    )?.[1];
    service.startCommand =
      settings && gunicorn
        ? fact(`gunicorn --bind 0.0.0.0:$PORT ${settings}.wsgi`, joinPath(dir, "manage.py"))
        : fact("python manage.py runserver 0.0.0.0:$PORT", joinPath(dir, "manage.py"));
  } else {
    const main = mainScript(view, dir) ?? ENTRY_FILES.find((f) => listing.has(f));
    const script = main ? undefined : projectScript(view, dir, pyproject);
    const file = main ?? script?.file;
    if (main) service.startCommand = fact(`python ${main}`, joinPath(dir, main));
    else if (script) service.startCommand = script.command;
    const code = file ? (view.read(joinPath(dir, file)) ?? "") : "";
    if (file && !framework && !LONG_RUNNING.test(code))
      service.kind = fact("job", `${joinPath(dir, file)}: runs once (no server or loop)`);
  }
  const procfile = view.read(joinPath(dir, "Procfile"));
  const procPort = procfile ? portInCommand(procfile) : undefined;
  if (procPort) service.port = fact(procPort, `${joinPath(dir, "Procfile")}`);
  const sources = [...(app ? [app.file] : []), ...candidates];
  for (const file of service.port ? [] : sources) {
    const text = view.read(joinPath(dir, file));
    const port = text ? portInSource(text, joinPath(dir, file)) : undefined;
    if (port) {
      service.port = port;
      break;
    }
  }
  for (const file of service.port ? [] : CONFIG_FILES) {
    const text = view.read(joinPath(dir, file));
    const port = text ? portInConfig(text, joinPath(dir, file)) : undefined;
    if (port) {
      service.port = port;
      break;
    }
  }
  if (!service.port && framework) service.port = fact(framework.port, `${framework.name} default`);
  if (files.length === 0 && service.startCommand)
    service.language = fact("python", service.startCommand.source);
  return service;
}
