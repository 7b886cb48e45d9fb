import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { classifyPushFailure, pushFailureCode } from "../../src/registry/push-failure.js";

// Real stderr of `docker buildx build --progress plain --output type=image,push=true` (Hilt's
// argv), captured against the local registries and test/helpers/fault-proxy.ts.
const fixture = (name: string) =>
  readFileSync(
    path.join(import.meta.dirname, "../fixtures/buildx", `push-${name}.stderr.txt`),
    "utf8",
  );

describe("classifyPushFailure on captured buildx stderr", () => {
  it.each([
    ["auth-missing", "auth", "no basic auth credentials"],
    ["auth-wrong", "auth", "unauthorized: authentication required"],
    ["unauthorized-mid-push", "auth", "unauthorized"],
    ["forbidden", "auth", "denied"],
    ["closed-port", "unavailable", "connection refused"],
    ["status-500", "unavailable", "500 Internal Server Error"],
    ["too-many-requests", "unavailable", "toomanyrequests"],
    ["reset", "unavailable", "connection reset by peer"],
    ["hang", "unavailable", "Client.Timeout exceeded"],
    // The RUN step prints "unauthorized: denied 401": still a build failure, not an auth one.
    ["build-failed", "build", "did not complete successfully: exit code: 3"],
    // The base image's registry is down: the solve failed before any push.
    ["base-unreachable", "build", "failed to resolve source metadata"],
  ])("%s → %s", (name, kind, reason) => {
    const failure = classifyPushFailure(fixture(name));
    expect(failure.kind).toBe(kind);
    expect(failure.reason).toContain(reason);
  });

  it("a docker-container builder's 'failed to push' inside the solve error is a push failure", () => {
    const stderr =
      "#9 exporting to image\n#9 ERROR: failed to push r.io/a/b:t: unexpected status from HEAD request to https://r.io/v2/a/b/blobs/sha256:00: 401 Unauthorized\n" +
      "ERROR: failed to solve: failed to push r.io/a/b:t: unexpected status from HEAD request to https://r.io/v2/a/b/blobs/sha256:00: 401 Unauthorized\n";
    expect(classifyPushFailure(stderr).kind).toBe("auth");
    const noStep = stderr
      .split("\n")
      .slice(2)
      .join("\n")
      .replace("401 Unauthorized", "502 Bad Gateway");
    expect(classifyPushFailure(noStep).kind).toBe("unavailable");
  });

  it("an unexpected push error is a registry error; empty stderr is a build failure", () => {
    expect(
      classifyPushFailure(
        "#7 pushing r.io/a:t with docker\n#7 ERROR: manifest invalid\nERROR: manifest invalid\n",
      ),
    ).toEqual({ kind: "registry", reason: "manifest invalid" });
    expect(classifyPushFailure("").kind).toBe("build");
  });

  it("maps each kind to its error code", () => {
    expect(pushFailureCode("auth")).toBe("REGISTRY_AUTH_FAILED");
    expect(pushFailureCode("unavailable")).toBe("REGISTRY_UNAVAILABLE");
    expect(pushFailureCode("registry")).toBe("REGISTRY_ERROR");
    expect(pushFailureCode("build")).toBe("BUILD_FAILED");
  });
});
