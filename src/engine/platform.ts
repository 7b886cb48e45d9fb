const ARCH: Record<string, string> = {
  x64: "amd64",
  arm64: "arm64",
  arm: "arm/v7",
  ppc64: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
  ia32: "386",
};

/** The platform this machine builds without emulation, e.g. linux/amd64. */
export function nativePlatform(): string {
  return `linux/${ARCH[process.arch] ?? process.arch}`;
}
