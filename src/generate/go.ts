import type { Service } from "../detect/types.js";
import { BASE_ARGS, CREATE_APP_USER, execRun, header, safePort } from "./common.js";

function goImage(version: string | undefined): string {
  const match = version ? /^(\d+)\.(\d+)/.exec(version) : null;
  return match ? `golang:${match[1]}.${match[2]}-bookworm` : "golang:1.22-bookworm";
}

/** A static binary built with the module cache mounted, run by a non-root user on a slim base. */
export function goDockerfile(ctx: {
  service: Service;
  files: ReadonlySet<string>;
  command: string;
  mainPackage: string;
}): string {
  const { service } = ctx;
  const port = safePort(service.port?.value, 8080);
  // "./cmd/-x" would read as a flag: a package path always starts with "./".
  const mainPackage =
    ctx.mainPackage === "." || ctx.mainPackage.startsWith("./")
      ? ctx.mainPackage
      : `./${ctx.mainPackage}`;
  const sums = ctx.files.has("go.sum") ? "go.mod go.sum" : "go.mod";
  const caches =
    "--mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build";
  return `${[
    header(service, ctx.command),
    "",
    `ARG ${BASE_ARGS.go}=${goImage(service.runtimeVersion?.value)}`,
    `ARG ${BASE_ARGS.runtime}=debian:bookworm-slim`,
    "",
    `FROM \${${BASE_ARGS.go}} AS build`,
    "ENV GOMODCACHE=/go/pkg/mod GOCACHE=/root/.cache/go-build",
    "WORKDIR /src",
    `COPY ${sums} ./`,
    `RUN ${caches} go mod download`,
    "COPY . .",
    // The main package is a folder name from the repository: an argument, never shell text.
    "ENV CGO_ENABLED=0",
    execRun(caches, ["go", "build", "-trimpath", "-ldflags=-s -w", "-o", "/out/app", mainPackage]),
    "",
    `FROM \${${BASE_ARGS.runtime}} AS runtime`,
    CREATE_APP_USER,
    "COPY --from=build /out/app /app/app",
    `ENV PORT=${port}`,
    "USER app",
    `EXPOSE ${port}`,
    'ENTRYPOINT ["/app/app"]',
  ].join("\n")}\n`;
}
