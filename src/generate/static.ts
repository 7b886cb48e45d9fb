import type { Service } from "../detect/types.js";
import { BASE_ARGS, header, shellCmd } from "./common.js";

/** Plain static files served by busybox httpd as an unprivileged user. */
export function staticDockerfile(ctx: { service: Service; command: string }): string {
  const port = ctx.service.port?.value ?? 8080;
  return `${[
    header(ctx.service, ctx.command),
    "",
    `ARG ${BASE_ARGS.static}=busybox:1.36`,
    `FROM \${${BASE_ARGS.static}}`,
    "COPY . /www",
    "RUN printf 'E404:/www/index.html\\n' > /etc/httpd.conf",
    `ENV PORT=${port}`,
    "USER 65534:65534",
    `EXPOSE ${port}`,
    shellCmd("httpd -f -v -p ${PORT} -h /www -c /etc/httpd.conf"),
  ].join("\n")}\n`;
}
