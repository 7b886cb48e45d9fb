import type { Service } from "../detect/types.js";
import { BASE_ARGS, header, staticRuntime } from "./common.js";

/** Plain static files served by busybox httpd as an unprivileged user. */
export function staticDockerfile(ctx: { service: Service; command: string }): string {
  const port = ctx.service.port?.value ?? 8080;
  return `${[header(ctx.service, ctx.command), "", `ARG ${BASE_ARGS.static}=busybox:1.36`, ...staticRuntime("COPY . /www", port)].join("\n")}\n`;
}
