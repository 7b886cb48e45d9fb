import { symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { HiltError } from "../../src/errors.js";
import { archiveEntries, gitHost, gitTimeout, sourceBytes } from "../../src/serve/flags.js";
import {
  archiveFormat,
  checkEntry,
  type EntryHeader,
} from "../../src/serve/sources/archive-policy.js";
import { diskUse, watchDiskUse } from "../../src/serve/sources/disk-use.js";
import { gitConfig, gitEnv } from "../../src/serve/sources/git-fetch.js";
import { checkGitRef, checkGitUrl, redactUrl } from "../../src/serve/sources/git-url.js";
import { defaultSourcesDir } from "../../src/serve/sources/job-sources.js";
import { tempRepo } from "../helpers/cli.js";
import { tarOf, tgzOf } from "../helpers/tar-builder.js";

/** The pure parts of hilt serve's job sources: which URLs, refs and tar entries are accepted. */

const policy = { insecureHosts: ["127.0.0.1", "git.internal"] };

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof HiltError ? String(error.code) : `not a HiltError: ${error}`;
  }
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
    return "";
  } catch (error) {
    return (error as Error).message;
  }
}

describe("git URL policy", () => {
  it("accepts https URLs, normalized", () => {
    expect(checkGitUrl("https://github.com/owner/repo.git", policy)).toEqual({
      url: "https://github.com/owner/repo.git",
      scheme: "https",
    });
    expect(checkGitUrl("HTTPS://Example.COM/a/b", policy).url).toBe("https://example.com/a/b");
  });

  it("accepts http:// and git:// only from hosts the operator allowed", () => {
    expect(checkGitUrl("http://127.0.0.1:8080/app.git", policy).scheme).toBe("http");
    expect(checkGitUrl("git://git.internal/app.git", policy).scheme).toBe("git");
    expect(codeOf(() => checkGitUrl("http://example.com/app.git", policy))).toBe("GIT_URL_REFUSED");
    expect(codeOf(() => checkGitUrl("git://example.com/app.git", policy))).toBe("GIT_URL_REFUSED");
    expect(messageOf(() => checkGitUrl("http://example.com/a", policy))).toContain("not encrypted");
  });

  it("fetches only from the operator's hosts when --git-allow-host names some", () => {
    const listed = { insecureHosts: ["127.0.0.1"], allowedHosts: ["github.com"] };
    expect(checkGitUrl("https://github.com/o/r.git", listed).url).toBe(
      "https://github.com/o/r.git",
    );
    expect(checkGitUrl("http://127.0.0.1:8080/app.git", listed).scheme).toBe("http");
    expect(codeOf(() => checkGitUrl("https://10.0.0.5/o/r.git", listed))).toBe("GIT_URL_REFUSED");
    expect(messageOf(() => checkGitUrl("https://metadata.internal/r", listed))).toContain(
      "metadata.internal is not among the hosts this server fetches from",
    );
    expect(checkGitUrl("https://10.0.0.5/o/r.git", { ...listed, allowedHosts: [] }).scheme).toBe(
      "https",
    );
  });

  it.each([
    ["file:///etc", "the file:// scheme"],
    ["file://localhost/srv/repo.git", "the file:// scheme"],
    ["/srv/repo.git", "local paths"],
    ["./repo", "local paths"],
    ["../../etc", "local paths"],
    ["ext::sh -c touch% /tmp/pwned", "spaces"],
    ["ext::sh", "remote helpers"],
    ["fd::17", "remote helpers"],
    ["ssh://-oProxyCommand=touch%20/tmp/pwned/x", "the ssh:// scheme"],
    ["-oProxyCommand=touch /tmp/pwned", "spaces"],
    ["--upload-pack=touch", "starts with -"],
    ["git@github.com:owner/repo.git", "local paths and scp-style"],
    ["github.com:owner/repo.git", "local paths and scp-style"],
    ["https://user:secret@github.com/o/r.git", "credentials"],
    ["https://ghp_token@github.com/o/r.git", "credentials"],
    ["https://@github.com/o/r.git", "credentials"],
    ["https://github.com/o/r.git?token=abc", "query or fragment"],
    ["https://github.com/o/r.git#main", "query or fragment"],
    ["https://github.com/o/r\n.git", "control characters"],
    ["https://-evil/o/r.git", "no valid host"],
    ["", "1 to 2048"],
    [`https://github.com/${"a".repeat(3000)}`, "1 to 2048"],
  ])("refuses %j (%s)", (url, why) => {
    expect(codeOf(() => checkGitUrl(url, policy))).toBe("GIT_URL_REFUSED");
    expect(messageOf(() => checkGitUrl(url, policy))).toContain(why);
  });

  it("never shows credentials back (refused, and redacted in the message)", () => {
    const message = messageOf(() => checkGitUrl("https://user:hunter2@host/r.git", policy));
    expect(message).not.toContain("hunter2");
    expect(message).not.toContain("user:");
    expect(redactUrl("https://x:tok3n@h/r?secret=1#f")).toBe('"https://***@h/r"');
  });
});

describe("git ref policy", () => {
  it.each(["main", "HEAD", "v1.2.0", "release/2024-01", "refs/heads/main", "feature+x"])(
    "accepts %j",
    (ref) => expect(checkGitRef(ref)).toBe(ref),
  );

  it("accepts a full commit id, lower-cased", () => {
    const sha = "A".repeat(40);
    expect(checkGitRef(sha)).toBe("a".repeat(40));
    expect(checkGitRef("b".repeat(64))).toBe("b".repeat(64));
  });

  it.each([
    "-uhelp",
    "--upload-pack=x",
    "main..other",
    "a b",
    "main;touch",
    "$(id)",
    "/main",
    "main/",
    "a//b",
    "x.lock",
    ".hidden",
    "a/.b",
    "head@{1}",
    "abc1234",
    "",
    "x".repeat(300),
  ])("refuses %j", (ref) => expect(codeOf(() => checkGitRef(ref))).toBe("GIT_REF_INVALID"));
});

describe("git child settings", () => {
  it("allows https and the URL's own insecure scheme only, no redirect, no helper, no hooks", () => {
    const https = gitConfig("https").join(" ");
    expect(https).toContain("protocol.allow=never");
    expect(https).toContain("protocol.https.allow=always");
    expect(https).not.toMatch(/protocol\.(http|git|file|ext|ssh)\.allow/);
    for (const setting of [
      "http.followRedirects=false",
      "credential.helper=",
      "core.hooksPath=/dev/null",
      "core.fsmonitor=false",
      "core.symlinks=false",
      "submodule.recurse=false",
      "transfer.fsckObjects=true",
    ])
      expect(https).toContain(setting);
    expect(gitConfig("http").join(" ")).toContain("protocol.http.allow=always");
    expect(gitConfig("http").join(" ")).not.toContain("protocol.git.allow");
  });

  it("gives git an empty HOME and none of the server's git or ssh settings", () => {
    process.env.GIT_SSH_COMMAND = "touch /tmp/pwned";
    process.env.GIT_DIR = "/somewhere";
    try {
      const env = gitEnv("/empty");
      expect(env).toMatchObject({
        HOME: "/empty",
        XDG_CONFIG_HOME: "/empty",
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_CONFIG_GLOBAL: "/dev/null",
        GIT_TERMINAL_PROMPT: "0",
        GIT_LFS_SKIP_SMUDGE: "1",
      });
      expect("GIT_SSH_COMMAND" in env && env.GIT_SSH_COMMAND).toBeUndefined();
      expect(env.GIT_DIR).toBeUndefined();
    } finally {
      delete process.env.GIT_SSH_COMMAND;
      delete process.env.GIT_DIR;
    }
  });
});

describe("tar entry policy", () => {
  const limits = { maxBytes: 1000, maxEntries: 3 };
  const check = (header: EntryHeader, tally = { entries: 0, bytes: 0 }) =>
    codeOf(() => checkEntry(header, tally, limits));

  it("accepts files and folders at relative paths, and counts them", () => {
    const tally = { entries: 0, bytes: 0 };
    expect(check({ path: "src/", type: "Directory", mode: 0o755 }, tally)).toBeUndefined();
    expect(check({ path: "src/a.ts", type: "File", mode: 0o644, size: 10 }, tally)).toBe(undefined);
    expect(check({ path: "./b", type: "OldFile", size: 5 }, tally)).toBeUndefined();
    expect(tally).toEqual({ entries: 3, bytes: 15 });
  });

  it("accepts a shared folder's setgid bit (it only passes the group on)", () => {
    expect(check({ path: "shared/", type: "Directory", mode: 0o2775 })).toBeUndefined();
  });

  it.each([
    [{ path: "l", type: "SymbolicLink" }, "ARCHIVE_ENTRY_REFUSED"],
    [{ path: "l", type: "Link" }, "ARCHIVE_ENTRY_REFUSED"],
    [{ path: "d", type: "CharacterDevice" }, "ARCHIVE_ENTRY_REFUSED"],
    [{ path: "d", type: "BlockDevice" }, "ARCHIVE_ENTRY_REFUSED"],
    [{ path: "f", type: "FIFO" }, "ARCHIVE_ENTRY_REFUSED"],
    [{ path: "../x", type: "File" }, "ARCHIVE_ENTRY_REFUSED"],
    [{ path: "a/../../x", type: "File" }, "ARCHIVE_ENTRY_REFUSED"],
    [{ path: "/etc/passwd", type: "File" }, "ARCHIVE_ENTRY_REFUSED"],
    [{ path: "C:/x", type: "File" }, "ARCHIVE_ENTRY_REFUSED"],
    [{ path: "a\\..\\b", type: "File" }, "ARCHIVE_ENTRY_REFUSED"],
    [{ path: "a\nb", type: "File" }, "ARCHIVE_ENTRY_REFUSED"],
    [{ path: ".git/config", type: "File" }, "ARCHIVE_ENTRY_REFUSED"],
    [{ path: "sub/.GIT/hooks/x", type: "File" }, "ARCHIVE_ENTRY_REFUSED"],
    [{ path: "s", type: "File", mode: 0o4755 }, "ARCHIVE_ENTRY_REFUSED"],
    [{ path: "s", type: "File", mode: 0o2755 }, "ARCHIVE_ENTRY_REFUSED"],
    [{ path: "big", type: "File", size: 1001 }, "SOURCE_TOO_LARGE"],
  ])("refuses %j with %s", (header, code) => expect(check(header)).toBe(code));

  it("refuses the entry past the count cap", () => {
    const tally = { entries: 3, bytes: 0 };
    expect(check({ path: "x", type: "File" }, tally)).toBe("ARCHIVE_TOO_MANY_ENTRIES");
  });

  it("names the entry without control characters", () => {
    const message = messageOf(() =>
      checkEntry({ path: "evil\u001b[2J", type: "SymbolicLink" }, { entries: 0, bytes: 0 }, limits),
    );
    expect(message).toContain('"evil?[2J"');
    expect(message).toContain("symbolic link");
  });

  it("tells gzip and tar from anything else by their first bytes", () => {
    expect(archiveFormat(tgzOf([{ name: "a" }]))).toBe("tar+gzip");
    expect(archiveFormat(tarOf([{ name: "a" }]))).toBe("tar");
    expect(archiveFormat(Buffer.from("PK\u0003\u0004zip"))).toBeUndefined();
    expect(archiveFormat(Buffer.alloc(1024))).toBeUndefined();
  });
});

describe("disk use of a clone", () => {
  it("counts files in nested folders, not what links point to", async () => {
    const dir = tempRepo({ "a.bin": "x".repeat(1000), "d/e/b.bin": "y".repeat(500) });
    symlinkSync("/etc/passwd", path.join(dir, "link"));
    expect(await diskUse(dir, 10_000)).toBe(1500 + "/etc/passwd".length);
    expect(await diskUse(dir, 100)).toBeGreaterThan(100);
  });

  it("calls back once when the folder grows past the cap", async () => {
    const dir = tempRepo({ "a.bin": "x" });
    let calls = 0;
    const stop = watchDiskUse(dir, 5000, () => calls++, 20);
    await new Promise((r) => setTimeout(r, 80));
    expect(calls).toBe(0);
    writeFileSync(path.join(dir, "b.bin"), "z".repeat(6000));
    for (let i = 0; i < 50 && calls === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 80));
    stop();
    expect(calls).toBe(1);
  });
});

describe("where job folders live by default", () => {
  it("beside a SQLite queue, in the state folder for PostgreSQL", () => {
    expect(defaultSourcesDir("sqlite:/var/lib/hilt/jobs.db")).toBe("/var/lib/hilt/jobs.db.sources");
    expect(defaultSourcesDir("/var/lib/hilt/q.db")).toBe("/var/lib/hilt/q.db.sources");
    const state = process.env.XDG_STATE_HOME;
    process.env.XDG_STATE_HOME = "/state";
    try {
      expect(defaultSourcesDir("postgres://hilt@db/hilt")).toBe("/state/hilt/sources");
      expect(defaultSourcesDir()).toBe("/state/hilt/sources");
    } finally {
      if (state === undefined) delete process.env.XDG_STATE_HOME;
      else process.env.XDG_STATE_HOME = state;
    }
  });
});

describe("hilt serve's source flags", () => {
  it("takes host names and IP addresses as insecure git hosts, nothing with a scheme or port", () => {
    expect(gitHost("127.0.0.1")).toEqual(["127.0.0.1"]);
    expect(gitHost("Git.Internal", ["[::1]"])).toEqual(["[::1]", "git.internal"]);
    for (const bad of ["http://x", "x:9418", "-oProxyCommand", "", "a b", "*"])
      expect(() => gitHost(bad)).toThrow(/not a host name/);
  });

  it("takes whole numbers in range for the timeout and caps", () => {
    expect(gitTimeout("300")).toBe(300);
    expect(sourceBytes("1048576")).toBe(1_048_576);
    expect(archiveEntries("10")).toBe(10);
    for (const [parse, bad] of [
      [gitTimeout, "0"],
      [sourceBytes, "12"],
      [archiveEntries, "-1"],
      [gitTimeout, "1e3"],
    ] as const)
      expect(() => parse(bad)).toThrow(/whole number/);
  });
});
