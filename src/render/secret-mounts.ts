/**
 * The secret mounts builds receive: the one place that knows their ids and where they are
 * mounted. Registry settings and tokens reach RUN steps only this way, never as layers or args.
 */
export const SECRET_MOUNTS = {
  npmrc: { id: "npmrc", target: "/root/.npmrc" },
  pipconf: { id: "pipconf", target: "/etc/pip.conf" },
  // The go command's own configuration file (GOENV's default for root): GOPROXY, GONOSUMDB…
  goenv: { id: "goenv", target: "/root/.config/go/env" },
  ca: { id: "ca", target: "/run/secrets/hilt-ca.pem" },
} as const;

export type SecretName = keyof typeof SECRET_MOUNTS;

/** A `RUN --mount=type=secret,…` flag for one secret. */
export function secretMountFlag(name: SecretName): string {
  const { id, target } = SECRET_MOUNTS[name];
  return `--mount=type=secret,id=${id},target=${target}`;
}
