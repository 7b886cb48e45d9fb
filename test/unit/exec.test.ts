import { describe, expect, it } from "vitest";
import { exec } from "../../src/host/exec.js";

describe("the process seam", () => {
  it("captures output and exit code without throwing", async () => {
    const result = await exec({ command: "sh", args: ["-c", "echo out; echo err >&2; exit 3"] });
    expect(result).toMatchObject({ exitCode: 3, stdout: "out\n", stderr: "err\n" });
    const missing = await exec({ command: "/nonexistent/tool", args: [] });
    expect(missing.spawnError?.code).toBe("ENOENT");
  });

  it("keeps registry and npm tokens away from child processes", async () => {
    process.env.HILT_REGISTRY_PASSWORD = "hunter2-secret";
    process.env.GITHUB_TOKEN = "ghp-secret";
    try {
      const result = await exec({ command: "env", args: [] });
      expect(result.stdout).not.toContain("hunter2-secret");
      expect(result.stdout).not.toContain("ghp-secret");
      expect(result.stdout).toContain("PATH=");
    } finally {
      delete process.env.HILT_REGISTRY_PASSWORD;
      delete process.env.GITHUB_TOKEN;
    }
  });
});
