import { describe, expect, it } from "vitest";
import { toBake } from "../../src/export/bake.js";
import { toMatrix } from "../../src/export/matrix.js";
import { renderStepsDockerfile } from "../../src/render/dockerfile.js";
import { planOf } from "../helpers/catalog.js";

const catalog = `schemaVersion: 1
images:
  base:
    from: debian:bookworm-slim
    steps:
      - apt: [git, "libfoo++"]
      - env: {GREETING: "hello world"}
      - npm: [typescript]
      - pip: [requests]
      - copy: {src: files/a b, dest: /opt/x, chown: "1000:1000", chmod: "0644"}
      - workdir: /work
      - user: agent
    cmd: [bash]
  child:
    from: base
    dockerfile: images/child/Dockerfile
    buildArgs: {FLAVOUR: slim}
`;

const CHILD_DOCKERFILE = "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nFROM golang:1.22 AS tools\n";

describe("Dockerfile rendering", () => {
  const node = planOf(catalog, { dockerfileTexts: { child: CHILD_DOCKERFILE } }).nodes[0];
  const text = node ? renderStepsDockerfile(node, "debian:bookworm-slim") : "";

  it("takes the parent from PARENT_IMAGE", () => {
    expect(text).toContain("ARG PARENT_IMAGE=debian:bookworm-slim\nFROM ${PARENT_IMAGE}\n");
  });

  it("renders each step", () => {
    expect(text).toContain("apt-get install -y --no-install-recommends git libfoo++");
    expect(text).toContain('ENV GREETING="hello world"');
    expect(text).toContain('COPY --chown=1000:1000 --chmod=0644 ["files/a b","/opt/x"]');
    expect(text).toContain('WORKDIR /work\nUSER agent\nCMD ["bash"]');
  });

  it("reaches package registries only through secret mounts", () => {
    expect(text).toMatch(
      /--mount=type=secret,id=npmrc,target=\/root\/.npmrc .*\n\s+npm install -g/,
    );
    expect(text).toMatch(/--mount=type=secret,id=pipconf/);
    expect(text).not.toMatch(/^(ARG|ENV) .*(TOKEN|NPM_CONFIG|REGISTRY)/m);
  });
});

describe("exports", () => {
  const plan = planOf(catalog, { dockerfileTexts: { child: CHILD_DOCKERFILE } });

  it("links a child to its parent through a named bake context", () => {
    const bake = toBake(plan, { root: ".", contextRoot: "." });
    expect(bake.group.default?.targets).toEqual(["base", "child"]);
    const child = bake.target.child;
    expect(child?.contexts).toEqual({ "hilt-parent-base": "target:base" });
    expect(child?.args).toEqual({ PARENT_IMAGE: "hilt-parent-base", FLAVOUR: "slim" });
    expect(child?.context).toBe("images/child");
    expect(child?.dockerfile).toBe("Dockerfile");
    // Without contextRoot every path is absolute from the root, so bake runs from any folder.
    const anywhere = toBake(plan, { root: "/srv/repo" }).target.child;
    expect(anywhere?.context).toBe("/srv/repo/images/child");
    expect(anywhere?.dockerfile).toBe("/srv/repo/images/child/Dockerfile");
    expect(bake.target.base?.["dockerfile-inline"]).toContain("FROM $${PARENT_IMAGE}");
    expect(bake.target.base?.tags[0]).toBe(plan.nodes[0]?.refs.immutable[0]);
  });

  it("hands pinned and mapped bases to bake as named contexts", () => {
    const pinned = planOf(catalog, {
      dockerfileTexts: { child: CHILD_DOCKERFILE },
      baseImages: { golang: "mirror.example.com/golang" },
      baseDigests: {
        "debian:bookworm-slim": `sha256:${"a".repeat(64)}`,
        "mirror.example.com/golang:1.22": `sha256:${"b".repeat(64)}`,
      },
    });
    const bake = toBake(pinned, { root: "/srv/repo" });
    expect(bake.target.base?.args.PARENT_IMAGE).toBe(
      `debian:bookworm-slim@sha256:${"a".repeat(64)}`,
    );
    expect(bake.target.child?.contexts).toEqual({
      "hilt-parent-base": "target:base",
      "golang:1.22": `docker-image://mirror.example.com/golang:1.22@sha256:${"b".repeat(64)}`,
    });
  });

  it("writes one matrix per wave", () => {
    expect(toMatrix(plan).waves).toEqual([
      {
        wave: 0,
        matrix: { include: [{ image: "base", wave: 0, parents: "", platforms: "linux/amd64" }] },
      },
      {
        wave: 1,
        matrix: {
          include: [{ image: "child", wave: 1, parents: "base", platforms: "linux/amd64" }],
        },
      },
    ]);
  });
});
