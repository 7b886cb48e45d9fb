import { portInSource } from "./ports.js";
import type { RepoView } from "./repo-view.js";
import { joinPath } from "./repo-view.js";
import { type Fact, fact, type Service } from "./types.js";

export const PYTHON_MANIFESTS = ["pyproject.toml", "requirements.txt", "Pipfile", "setup.py"];

const FRAMEWORKS = [
  { dep: "fastapi", name: "fastapi", port: 8000, marker: /(\w+)\s*=\s*FastAPI\(/ },
  { dep: "django", name: "django", port: 8000, marker: undefined },
  { dep: "flask", name: "flask", port: 5000, marker: /(\w+)\s*=\s*Flask\(/ },
];

const ENTRY_FILES = [
  "main.py",
  "app.py",
  "server.py",
  "api.py",
  "app/main.py",
  "src/main.py",
  "wsgi.py",
  "asgi.py",
];

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

export function analyzePython(
  view: RepoView,
  dir: string,
): Omit<Service, "name" | "path" | "role" | "context"> {
  const listing = new Set(view.list(dir)?.files ?? []);
  const { text, files } = dependencyText(view, dir);
  const pyproject = view.read(joinPath(dir, "pyproject.toml")) ?? "";
  const service: Omit<Service, "name" | "path" | "role" | "context"> = {
    language: fact("python", files[0] ?? joinPath(dir, "requirements.txt")),
    spa: false,
    packageManager: listing.has("uv.lock")
      ? fact("uv", joinPath(dir, "uv.lock"))
      : listing.has("poetry.lock") || /\[tool\.poetry\]/.test(pyproject)
        ? fact(
            "poetry",
            joinPath(dir, listing.has("poetry.lock") ? "poetry.lock" : "pyproject.toml"),
          )
        : fact("pip", files.find((f) => f.endsWith("requirements.txt")) ?? files[0] ?? "default"),
  };
  const pinned = view.read(joinPath(dir, ".python-version"))?.trim();
  const requires = /requires-python\s*=\s*["']([^"']+)["']/.exec(pyproject)?.[1];
  if (pinned) service.runtimeVersion = fact(pinned, joinPath(dir, ".python-version"));
  else if (requires)
    service.runtimeVersion = fact(requires, `${joinPath(dir, "pyproject.toml")}#requires-python`);
  const framework = FRAMEWORKS.find((f) => new RegExp(`(^|[\\s"'\\[])${f.dep}\\b`, "m").test(text));
  if (framework) service.framework = fact(framework.name, `${files[0]}: ${framework.dep}`);

  let entry: Fact<string> | undefined;
  for (const file of ENTRY_FILES) {
    const source = view.read(joinPath(dir, file));
    if (!source) continue;
    const variable = framework?.marker?.exec(source)?.[1];
    if (variable) {
      entry = fact(
        `${file.replace(/\.py$/, "").replace(/\//g, ".")}:${variable}`,
        joinPath(dir, file),
      );
      break;
    }
  }
  if (entry) service.entry = entry;
  const gunicorn = /(^|\s)gunicorn\b/m.test(text);
  if (framework?.name === "fastapi" && entry)
    service.startCommand = fact(`uvicorn ${entry.value} --host 0.0.0.0 --port $PORT`, entry.source);
  else if (framework?.name === "flask" && entry) {
    service.startCommand = gunicorn
      ? fact(`gunicorn --bind 0.0.0.0:$PORT ${entry.value}`, entry.source)
      : fact(`flask --app ${entry.value} run --host 0.0.0.0 --port $PORT`, entry.source);
  } else if (framework?.name === "django" && listing.has("manage.py")) {
    const settings = /DJANGO_SETTINGS_MODULE['"],\s*['"]([\w.]+)\.settings/.exec(
      view.read(joinPath(dir, "manage.py")) ?? "",
    )?.[1];
    service.startCommand =
      settings && gunicorn
        ? fact(`gunicorn --bind 0.0.0.0:$PORT ${settings}.wsgi`, joinPath(dir, "manage.py"))
        : fact("python manage.py runserver 0.0.0.0:$PORT", joinPath(dir, "manage.py"));
  } else {
    const main = ENTRY_FILES.find((f) => view.read(joinPath(dir, f)) !== undefined);
    if (main) service.startCommand = fact(`python ${main}`, joinPath(dir, main));
  }
  const procfile = view.read(joinPath(dir, "Procfile"));
  for (const [file, source] of [
    ...(procfile ? [[joinPath(dir, "Procfile"), procfile] as const] : []),
    ...ENTRY_FILES.map((f) => [joinPath(dir, f), view.read(joinPath(dir, f))] as const),
  ]) {
    const port = source ? portInSource(source, file) : undefined;
    if (port) {
      service.port = port;
      break;
    }
  }
  if (!service.port && framework) service.port = fact(framework.port, `${framework.name} default`);
  return service;
}
