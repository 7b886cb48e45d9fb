import type { Service } from "../detect/types.js";
import { BASE_ARGS, CREATE_APP_USER, header } from "./common.js";

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
  const port = service.port?.value ?? 8080;
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
    `RUN ${caches} \\\n    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/app ${ctx.mainPackage}`,
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
