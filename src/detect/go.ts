import { portInSource } from "./ports.js";
import type { RepoView } from "./repo-view.js";
import { joinPath } from "./repo-view.js";
import { type Analysis, type Fact, fact } from "./types.js";

/** Go files read per main package, and main packages weighed, at most. */
const GO_FILES = 24;
const MAIN_PACKAGES = 24;

/** Code that serves HTTP (or gRPC) itself. */
const SERVES =
  /ListenAndServe(?:TLS)?\(|\.Serve\(|\bhttp\.Server\s*\{|\.Run\(\s*["':]|\.Start\(\s*["':]|\.Listen\(\s*["':]|net\.Listen\(/;

/** Subcommands that start a server, in a cobra `Use:`, a urfave/cli `Name:` or a switch. */
const SERVE_SUBCOMMAND =
  /(?:Use:\s*|Name:\s*|case\s+)"(serve|server|web|api|start|run)(?:\s[^"]*)?"/;

interface MainPackage {
  folder: string;
  text: string;
  files: { file: string; text: string }[];
}

/** A folder of the module, "." being the module's own. */
const under = (dir: string, rel: string) => (rel === "." ? dir : joinPath(dir, rel));

function goFiles(view: RepoView, folder: string): string[] {
  return (view.list(folder)?.files ?? [])
    .filter((f) => f.endsWith(".go") && !f.endsWith("_test.go"))
    .slice(0, GO_FILES)
    .map((f) => joinPath(folder, f));
}

/** A folder's Go sources, when it is package main. */
function mainPackage(view: RepoView, dir: string, rel: string): MainPackage | undefined {
  const files = goFiles(view, under(dir, rel)).map((file) => ({
    file,
    text: view.read(file) ?? "",
  }));
  const isMain = files.some(
    ({ file, text }) =>
      file.endsWith("/main.go") || file === "main.go" || /^package main\b/m.test(text),
  );
  if (!isMain) return undefined;
  return { folder: rel, text: files.map((f) => f.text).join("\n"), files };
}

/** How server-like a main package is: what it serves, then how it is named. */
function serverScore(pkg: MainPackage, moduleBase: string): number {
  const name = pkg.folder.split("/").pop() ?? "";
  let score = 0;
  if (SERVES.test(pkg.text)) score += 8;
  if (SERVE_SUBCOMMAND.test(pkg.text)) score += 4;
  if (/^(server|api|web|http|service|daemon)$/.test(name)) score += 2;
  if (name.endsWith("d") && name.length > 2) score += 2;
  if (name === moduleBase) score += 1;
  if (/^(cli|ctl|client|tool|tools|migrate|gen|codegen|seed)$|ctl$|-cli$/.test(name)) score -= 4;
  return score;
}

/** Go sources near a main package that may hold its subcommands (cobra keeps them in cmd/). */
function commandSources(view: RepoView, dir: string, main: MainPackage): string {
  const folders = [main.folder, "cmd", "internal/cmd", "internal/cli", "pkg/cmd", "cli"];
  const seen = new Set<string>();
  const texts: string[] = [];
  for (const folder of folders) {
    const full = under(dir, folder);
    if (seen.has(full)) continue;
    seen.add(full);
    for (const file of goFiles(view, full)) texts.push(view.read(file) ?? "");
  }
  return texts.join("\n");
}

function firstPort(files: { file: string; text: string }[]): Fact<number> | undefined {
  for (const { file, text } of files) {
    const port = portInSource(text, file);
    if (port) return port;
  }
  return undefined;
}

export function analyzeGo(view: RepoView, dir: string): Analysis & { mainPackage: string } {
  const goMod = view.read(joinPath(dir, "go.mod")) ?? "";
  const service: Analysis & { mainPackage: string } = {
    language: fact("go", joinPath(dir, "go.mod")),
    packageManager: fact("go", joinPath(dir, "go.mod")),
    spa: false,
    mainPackage: ".",
  };
  const version = /^go\s+(\d+\.\d+(?:\.\d+)?)/m.exec(goMod)?.[1];
  if (version) service.runtimeVersion = fact(version, `${joinPath(dir, "go.mod")}#go`);
  const moduleBase = /^module\s+(\S+)/m.exec(goMod)?.[1]?.split("/").pop() ?? "";
  const framework = [
    ["github.com/gin-gonic/gin", "gin"],
    ["github.com/labstack/echo", "echo"],
    ["github.com/gofiber/fiber", "fiber"],
    ["github.com/go-chi/chi", "chi"],
    ["github.com/gorilla/mux", "gorilla"],
  ].find(([module]) => goMod.includes(module as string));

  const cmds = (view.list(joinPath(dir, "cmd"))?.dirs ?? []).slice(0, MAIN_PACKAGES);
  const candidates = [".", ...cmds.map((c) => `cmd/${c}`)]
    .map((rel) => mainPackage(view, dir, rel))
    .filter((p): p is MainPackage => p !== undefined);
  // The server among several commands: cmd/<name>d or cmd/server over cmd/cli.
  const ranked = candidates
    .map((p, index) => ({ p, index, score: serverScore(p, moduleBase) }))
    .sort((a, b) => b.score - a.score || a.index - b.index);
  const main = ranked[0]?.p;
  if (!main) {
    // No package main: a library module, nothing to start.
    service.framework = fact("go", joinPath(dir, "go.mod"));
    service.kind = fact("job", "no package main");
    return service;
  }
  const mainFile =
    main.files.find((f) => f.file.endsWith("main.go"))?.file ??
    main.files.find((f) => /^package main\b/m.test(f.text))?.file ??
    under(dir, main.folder);
  if (main.folder !== ".") service.mainPackage = `./${main.folder}`;
  const serves = SERVES.test(main.text) || /"net\/http"/.test(main.text);
  service.framework = framework
    ? fact(framework[1] as string, `${joinPath(dir, "go.mod")}: ${framework[0]}`)
    : serves
      ? fact("go-http", `${mainFile}: net/http`)
      : fact("go", joinPath(dir, "go.mod"));
  const why =
    candidates.length > 1
      ? `${mainFile} (the server among ${candidates.map((c) => c.folder).join(", ")})`
      : mainFile;
  service.buildCommand = fact(`go build -o /out/app ${service.mainPackage}`, why);

  // A server behind a subcommand (`app serve`): the start command must name it.
  const commands = commandSources(view, dir, main);
  const subcommand = SERVE_SUBCOMMAND.exec(commands)?.[1];
  const servesDirectly = SERVES.test(main.text) && !/os\.Args|cobra|urfave\/cli/.test(main.text);
  if (subcommand && !servesDirectly)
    service.startCommand = fact(
      `/app/app ${subcommand}`,
      `${mainFile}: subcommand "${subcommand}"`,
    );
  else service.startCommand = fact("/app/app", "generated binary");
  const port = firstPort(main.files) ?? portInSource(commands, `${mainFile} subcommands`);
  const server = Boolean(framework) || serves || SERVES.test(commands);
  if (!server) service.kind = fact("job", `${mainFile}: serves nothing`);
  if (port) service.port = port;
  else if (server) service.port = fact(8080, "Go default used by Hilt");
  return service;
}
