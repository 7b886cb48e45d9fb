import { portInSource } from "./ports.js";
import type { RepoView } from "./repo-view.js";
import { joinPath } from "./repo-view.js";
import { fact, type Service } from "./types.js";

export function analyzeGo(
  view: RepoView,
  dir: string,
): Omit<Service, "name" | "path" | "role" | "context"> & { mainPackage: string } {
  const goMod = view.read(joinPath(dir, "go.mod")) ?? "";
  const service: Omit<Service, "name" | "path" | "role" | "context"> & { mainPackage: string } = {
    language: fact("go", joinPath(dir, "go.mod")),
    packageManager: fact("go", joinPath(dir, "go.mod")),
    spa: false,
    mainPackage: ".",
  };
  const version = /^go\s+(\d+\.\d+(?:\.\d+)?)/m.exec(goMod)?.[1];
  if (version) service.runtimeVersion = fact(version, `${joinPath(dir, "go.mod")}#go`);
  const framework = [
    ["github.com/gin-gonic/gin", "gin"],
    ["github.com/labstack/echo", "echo"],
    ["github.com/gofiber/fiber", "fiber"],
    ["github.com/go-chi/chi", "chi"],
  ].find(([module]) => goMod.includes(module as string));
  const cmds = view.list(joinPath(dir, "cmd"))?.dirs ?? [];
  const mains = ["main.go", ...cmds.map((c) => `cmd/${c}/main.go`)];
  const main = mains.find((f) => view.read(joinPath(dir, f)) !== undefined);
  if (main && main !== "main.go") service.mainPackage = `./${main.slice(0, -"/main.go".length)}`;
  const source = main ? (view.read(joinPath(dir, main)) ?? "") : "";
  service.framework = framework
    ? fact(framework[1] as string, `${joinPath(dir, "go.mod")}: ${framework[0]}`)
    : /"net\/http"/.test(source)
      ? fact("go-http", `${joinPath(dir, main ?? "main.go")}: net/http`)
      : fact("go", joinPath(dir, "go.mod"));
  service.buildCommand = fact(
    `go build -o /out/app ${service.mainPackage}`,
    joinPath(dir, main ?? "go.mod"),
  );
  service.startCommand = fact("/app/app", "generated binary");
  const port = main ? portInSource(source, joinPath(dir, main)) : undefined;
  service.port = port ?? fact(8080, "Go default used by Hilt");
  return service;
}
