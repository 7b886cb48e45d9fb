import { goRuntime } from "../detect/runtime-version.js";
import type { Service } from "../detect/types.js";
import { isSafeName, unsafeName } from "../fs/untrusted.js";
import { BASE_ARGS, CREATE_APP_USER, execRun, header, installMounts, safePort } from "./common.js";

/**
 * Modules that need cgo (a C compiler at build time, glibc at run time). Some also need a
 * system library (rocksdb, vips, pcap): those still need it added by hand.
 */
const CGO_MODULES = [
  "github.com/mattn/go-sqlite3",
  "github.com/mutecomm/go-sqlcipher",
  "github.com/confluentinc/confluent-kafka-go",
  "github.com/linxGnu/grocksdb",
  "github.com/tecbot/gorocksdb",
  "github.com/h2non/bimg",
  "github.com/davidbyttow/govips",
  "gopkg.in/gographics/imagick",
  "github.com/miekg/pkcs11",
  "github.com/godror/godror",
  "github.com/DataDog/zstd",
  "github.com/valyala/gozstd",
  "github.com/wasmerio/wasmer-go",
  "github.com/bytecodealliance/wasmtime-go",
  "github.com/go-gl/glfw",
];

/**
 * The cgo modules a Go module uses. go.mod lists every module the build needs since Go 1.17
 * (module graph pruning); an older go.mod does not, so go.sum is read for those.
 */
export function cgoModules(goMod: string, goSum: string, legacyModule: boolean): string[] {
  const required = new Set(
    [...goMod.matchAll(/^\s*(?:require\s+)?([\w.~/-]+)\s+v\d[^\s]*/gm)].map((m) => m[1]),
  );
  if (legacyModule)
    for (const m of goSum.matchAll(/^([\w.~/-]+)\s+v\d/gm)) required.add(m[1] as string);
  return CGO_MODULES.filter((module) =>
    [...required].some((r) => r === module || r?.startsWith(`${module}/`)),
  );
}

/**
 * A Go binary built with the module cache mounted, run by a non-root user on a slim glibc base.
 * Static (CGO_ENABLED=0) unless a cgo module is used. GOPROXY and friends arrive as the go
 * command's configuration file, and the host's CA as a file in /run/secrets: both secret
 * mounts, so no layer keeps either.
 */
export function goDockerfile(ctx: {
  service: Service;
  files: ReadonlySet<string>;
  command: string;
  goMod: string;
  goSum: string;
  mainPackage: string;
}): string {
  const { service } = ctx;
  const port = safePort(service.port?.value, 8080);
  // "./cmd/-x" would read as a flag: a package path always starts with "./".
  const mainPackage =
    ctx.mainPackage === "." || ctx.mainPackage.startsWith("./")
      ? ctx.mainPackage
      : `./${ctx.mainPackage}`;
  const runtime = goRuntime(ctx.goMod, `${service.path === "." ? "" : `${service.path}/`}go.mod`);
  const cgo = cgoModules(ctx.goMod, ctx.goSum, runtime.legacyModule);
  const sums = ctx.files.has("go.sum") ? "go.mod go.sum" : "go.mod";
  const mounts = `${installMounts("go")} --mount=type=cache,target=/go/pkg/mod`;
  const caches = `${mounts} --mount=type=cache,target=/root/.cache/go-build`;
  const version =
    runtime.source === "default"
      ? []
      : [
          `# Go ${runtime.version}, from ${runtime.source}${runtime.note ? ` (${runtime.note})` : ""}.`,
        ];
  const toolchain = runtime.toolchainSwitch
    ? [
        "# go.mod asks for a newer Go than this image: the go command fetches it from GOPROXY.",
        "ENV GOTOOLCHAIN=auto",
      ]
    : [];
  const cgoSetup =
    cgo.length > 0
      ? [
          `# ${cgo.join(", ")} need${cgo.length === 1 ? "s" : ""} cgo: a C compiler here, glibc at run time.`,
          "RUN command -v gcc >/dev/null || (apt-get update \\",
          "    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends gcc libc6-dev \\",
          "    && rm -rf /var/lib/apt/lists/*)",
          "ENV CGO_ENABLED=1",
        ]
      : ["# A static binary: no C library needed at run time.", "ENV CGO_ENABLED=0"];
  // The binary's arguments, e.g. a `serve` subcommand: exec form, each checked.
  const args = (/^\/app\/app\s+(.+)$/.exec(service.startCommand?.value ?? "")?.[1] ?? "")
    .split(/\s+/)
    .filter((a) => a !== "");
  for (const arg of args) if (!isSafeName(arg)) throw unsafeName(arg);
  // Before Go 1.17 go.sum was often incomplete: let the build record what it lacks.
  const modFlag = runtime.legacyModule ? ["-mod=mod"] : [];
  return `${[
    header(service, ctx.command),
    "",
    ...version,
    `ARG ${BASE_ARGS.go}=golang:${runtime.version}-bookworm`,
    `ARG ${BASE_ARGS.runtime}=debian:bookworm-slim`,
    "",
    `FROM \${${BASE_ARGS.go}} AS build`,
    // Go reads every file of SSL_CERT_DIR: the host's CA, when it is mounted, joins the system's.
    "ENV GOMODCACHE=/go/pkg/mod GOCACHE=/root/.cache/go-build SSL_CERT_DIR=/run/secrets",
    ...toolchain,
    ...cgoSetup,
    "WORKDIR /src",
    `COPY ${sums} ./`,
    `RUN ${mounts} \\\n    go mod download`,
    "COPY . .",
    // The main package is a folder name from the repository: an argument, never shell text.
    execRun(caches, [
      "go",
      "build",
      ...modFlag,
      "-trimpath",
      "-ldflags=-s -w",
      "-o",
      "/out/app",
      mainPackage,
    ]),
    "",
    `FROM \${${BASE_ARGS.runtime}} AS runtime`,
    CREATE_APP_USER,
    "# For the service's own HTTPS calls: the slim base has no CA bundle.",
    "COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt",
    "COPY --from=build /out/app /app/app",
    "WORKDIR /home/app",
    `ENV PORT=${port}`,
    "USER app",
    `EXPOSE ${port}`,
    'ENTRYPOINT ["/app/app"]',
    ...(args.length > 0 ? [`CMD ${JSON.stringify(args).replace(/","/g, '", "')}`] : []),
  ].join("\n")}\n`;
}
