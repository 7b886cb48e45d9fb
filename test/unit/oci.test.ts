import { describe, expect, it } from "vitest";
import { isValidTag, parseReference, toNameComponent } from "../../src/model/oci.js";

describe("image references (OCI distribution grammar)", () => {
  it.each([
    ["debian", undefined, "debian", undefined],
    ["debian:bookworm-slim", undefined, "debian", "bookworm-slim"],
    ["ghcr.io/acme/app:1.2.3", "ghcr.io", "acme/app", "1.2.3"],
    ["localhost:5000/a/b/c:x", "localhost:5000", "a/b/c", "x"],
    [
      "127.0.0.1:5000/library/debian:bookworm-slim",
      "127.0.0.1:5000",
      "library/debian",
      "bookworm-slim",
    ],
    ["my_org/app__x:t", undefined, "my_org/app__x", "t"],
  ])("parses %s", (input, domain, path, tag) => {
    const parsed = parseReference(input);
    expect(parsed.ok && parsed.value).toMatchObject({ domain, path, tag });
  });

  it("keeps a digest", () => {
    const digest = `sha256:${"a".repeat(64)}`;
    const parsed = parseReference(`debian:12@${digest}`);
    expect(parsed.ok && parsed.value.digest).toBe(digest);
  });

  it.each([
    ["Debian:12", /repository component "Debian"/],
    ["ghcr.io/Acme/app", /component "Acme"/],
    ["debian:.x", /invalid tag/],
    [`debian:${"x".repeat(129)}`, /invalid tag/],
    ["a//b", /component ""/],
    ["a--b_-c", /component/],
    ["debian@sha256:xyz", /invalid digest/],
    [" debian", /spaces/],
  ])("rejects %s", (input, reason) => {
    const parsed = parseReference(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });

  it("knows valid tags", () => {
    expect(isValidTag("v1.2.3-rc.1_x")).toBe(true);
    expect(isValidTag("-x")).toBe(false);
    expect(isValidTag("a/b")).toBe(false);
  });

  it("turns outside names into repository components", () => {
    expect(toNameComponent("My App/Server!!")).toBe("my-app-server");
    expect(toNameComponent("__x..y--")).toBe("x-y");
  });
});
