import { randomUUID } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { HiltError } from "../../errors.js";
import { realRoot } from "../../fs/untrusted.js";
import { type JobCommand, jobCommand } from "../job-command.js";
import type { Job, JobRequest, JobStore } from "../store/types.js";
import { type UnpackedArchive, unpackArchive } from "./archive.js";
import type { ArchiveLimits } from "./archive-policy.js";
import { fetchCommit, type GitSettings, resolveCommit } from "./git-fetch.js";
import { checkGitRef, checkGitUrl, type GitUrlPolicy } from "./git-url.js";

/**
 * Where a job's files come from when they are not a folder of the workspace: a git URL (pinned
 * to a commit at submit, cloned when the job starts) or an uploaded archive (unpacked before the
 * 202). Each job gets its own folder under --sources-dir, removed when the job ends; the job's
 * paths (workspace, catalog, targets) are confined to that folder as they are to the workspace.
 */

export interface SourceSettings extends ArchiveLimits, GitUrlPolicy {
  /** --sources-dir: created if missing. */
  dir: string;
  timeoutMs: number;
}

export const SOURCE_DEFAULTS = {
  timeoutMs: 300_000,
  maxBytes: 1024 ** 3,
  maxEntries: 50_000,
} as const;

export interface GitSource {
  git: string;
  ref: string;
  /** The commit `ref` named at submit: what the job builds (also after a requeue). */
  commit: string;
}

export interface ArchiveSource {
  archive: Omit<UnpackedArchive, "unpackedBytes"> & { upload: string };
}

export type JobSource = GitSource | ArchiveSource;

/** The stored request's source, if it has one (older jobs and folder jobs have none). */
export function sourceOf(request: JobRequest): JobSource | undefined {
  return (request as JobRequest & { source?: JobSource }).source;
}

/** Newer than this, an upload folder may belong to a submit still under way. */
const UPLOAD_GRACE_MS = 10 * 60_000;

function young(dir: string, graceMs: number): boolean {
  try {
    return Date.now() - statSync(dir).mtimeMs < graceMs;
  } catch {
    return false;
  }
}

/**
 * --sources-dir's default: beside a SQLite queue (`jobs.db` → `jobs.db.sources`), so servers
 * with different queues never sweep each other's folders; for PostgreSQL (one queue shared by
 * instances) the user's state folder.
 */
export function defaultSourcesDir(queue?: string): string {
  if (queue && !/^postgres(ql)?:\/\//i.test(queue)) {
    const file = queue.replace(/^sqlite:(\/\/(?=\/))?/i, "");
    if (file && file !== ":memory:") return `${path.resolve(file)}.sources`;
  }
  const state = process.env.XDG_STATE_HOME || path.join(homedir(), ".local", "state");
  return path.join(state, "hilt", "sources");
}

const UPLOAD_ID = /^[0-9a-f-]{36}$/;
const JOB_ID = /^[A-Za-z0-9_-]{1,100}$/;

export class JobSources {
  readonly dir: string;
  /** Empty and read-only: the git child's HOME, and the stand-in root for path checks. */
  readonly home: string;
  private readonly git: GitSettings;

  constructor(private readonly settings: SourceSettings) {
    mkdirSync(settings.dir, { recursive: true, mode: 0o700 });
    this.dir = realRoot(settings.dir);
    this.home = path.join(this.dir, "home");
    mkdirSync(this.home, { recursive: true });
    chmodSync(this.home, 0o555);
    this.git = { timeoutMs: settings.timeoutMs, maxBytes: settings.maxBytes, home: this.home };
  }

  /** Submit time: the URL and ref pass the policy, and the ref's commit is looked up. */
  async resolveGit(source: { git: string; ref?: string | undefined }): Promise<GitSource> {
    const url = checkGitUrl(source.git, this.settings);
    const ref = checkGitRef(source.ref ?? "HEAD");
    const commit = await resolveCommit(url, ref, this.git);
    return { git: url.url, ref, commit };
  }

  /** The job's paths, checked against an empty folder before its source exists. */
  checkPaths(request: JobRequest): void {
    jobCommand(this.home, request);
  }

  /**
   * Unpacks an upload into a folder of its own. On success the caller submits the job (the
   * upload id is in its source) or, if it does not, calls discard(); on failure the folder
   * is gone already.
   */
  async unpack(body: Buffer): Promise<{ source: ArchiveSource; tree: string }> {
    const upload = randomUUID();
    const tree = this.uploadDir(upload);
    try {
      const { unpackedBytes: _bytes, ...unpacked } = await unpackArchive(body, tree, this.settings);
      return { source: { archive: { upload, ...unpacked } }, tree };
    } catch (error) {
      this.removeQuietly(tree);
      throw error;
    }
  }

  discard(source: ArchiveSource): void {
    this.removeQuietly(this.uploadDir(source.archive.upload));
  }

  /**
   * Run time: the job's command in its own folder, the git source fetched first. Emits
   * `source` events saying what is built (the commit once fetched, or the upload's digest).
   */
  async prepare(
    job: Job,
    signal: AbortSignal,
    append: (event: Record<string, unknown>) => void,
  ): Promise<JobCommand | undefined> {
    const source = sourceOf(job.request);
    if (!source) return undefined;
    const time = () => new Date().toISOString();
    if ("git" in source) {
      const tree = this.gitDir(job.id);
      this.removeQuietly(tree);
      append({ event: "source", kind: "git", url: source.git, ref: source.ref, time: time() });
      const url = checkGitUrl(source.git, this.settings);
      await fetchCommit(url, source.commit, tree, this.git, signal);
      append({
        event: "source",
        kind: "git",
        url: source.git,
        ref: source.ref,
        commit: source.commit,
        status: "fetched",
        time: time(),
      });
      return this.confined(jobCommand(tree, job.request));
    }
    const tree = this.uploadDir(source.archive.upload);
    if (!existsSync(tree))
      throw new HiltError("SOURCE_MISSING", "the job's uploaded archive is not on this server", {
        hint: "upload it again; with a shared queue, give every instance the same --sources-dir",
      });
    append({
      event: "source",
      kind: "archive",
      sha256: source.archive.sha256,
      bytes: source.archive.bytes,
      entries: source.archive.entries,
      time: time(),
    });
    return this.confined(jobCommand(tree, job.request));
  }

  /**
   * The CLI reads the commit with git from the job's folder: git must not climb out of it into
   * a repository around --sources-dir (an archive has no .git of its own) and report its commit.
   */
  private confined(command: JobCommand): JobCommand {
    return { ...command, env: { GIT_CEILING_DIRECTORIES: this.dir } };
  }

  /** The job is final: its folder goes (nothing in it is part of the result). */
  release(job: Job): void {
    const source = sourceOf(job.request);
    if (!source) return;
    if ("git" in source) this.removeQuietly(this.gitDir(job.id));
    else this.discard(source);
  }

  /**
   * Start-up, before serving: removes the folders no queued or running job needs (jobs that
   * ended while the server was down, uploads whose submit never finished). Returns how many.
   */
  async sweep(store: JobStore, graceMs = UPLOAD_GRACE_MS): Promise<number> {
    const keep = new Set<string>();
    for (const status of ["queued", "running"] as const) {
      let cursor: string | undefined;
      do {
        const page = await store.list({ status, limit: 100, ...(cursor ? { cursor } : {}) });
        for (const job of page.jobs) {
          const source = sourceOf(job.request);
          if (source && "archive" in source) keep.add(`upload-${source.archive.upload}`);
          // Another instance may share this folder and run the job now.
          else if (source) keep.add(`git-${job.id}`);
        }
        cursor = page.next;
      } while (cursor);
    }
    let removed = 0;
    for (const name of readdirSync(this.dir)) {
      if (name === "home" || keep.has(name)) continue;
      if (!/^(upload|git)-/.test(name)) continue;
      // An upload whose submit is still under way (here or in an instance sharing the folder).
      if (name.startsWith("upload-") && young(path.join(this.dir, name), graceMs)) continue;
      this.removeQuietly(path.join(this.dir, name));
      removed++;
    }
    return removed;
  }

  private uploadDir(upload: string): string {
    if (!UPLOAD_ID.test(upload)) throw new HiltError("SOURCE_MISSING", "invalid upload id");
    return path.join(this.dir, `upload-${upload}`);
  }

  private gitDir(jobId: string): string {
    if (!JOB_ID.test(jobId)) throw new HiltError("SOURCE_MISSING", "invalid job id");
    return path.join(this.dir, `git-${jobId}`);
  }

  private removeQuietly(dir: string): void {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
    } catch {
      // A later sweep removes it.
    }
  }
}
