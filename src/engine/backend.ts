import type { PlanNode } from "../plan/plan-schema.js";

/** Files handed to builds as secret mounts; never build arguments, never layers. */
export interface BuildSecrets {
  npmrc?: string;
  pipconf?: string;
  /** The go command's configuration file (GOPROXY, GONOSUMDB, GOFLAGS). */
  goenv?: string;
  ca?: string;
}

export interface BuildRequest {
  node: PlanNode;
  /** Repository root every context path is relative to. */
  root: string;
  /** What the image starts from: the parent's exact result, or the external base. */
  baseRef: string;
  /** Refs to give the result: pushed when `push`, else tagged locally. */
  tags: readonly string[];
  push: boolean;
  /** Ignore every cache: the registry's content tags and the engine's layer cache. */
  noCache: boolean;
  secrets: BuildSecrets;
  /** Fixed timestamp so unchanged inputs give unchanged images. */
  sourceDateEpoch: number;
  signal: AbortSignal;
  log: (line: string) => void;
}

export interface BuildOutput {
  /** Manifest digest when pushed (as the registry reports it), image ID when local. */
  digest: string;
  /** The exact reference children are built from. */
  ref: string;
}

/** An image built in a session with others; its parent too when that is in the session. */
export interface SessionBuildRequest extends BuildRequest {
  /** The catalog parent built in the same session: the child starts from its result there. */
  parentInSession?: string;
}

export interface SessionOutput extends BuildOutput {
  /** When the image's last step ended (its export or push), if the engine's progress said. */
  finishedAt?: number;
}

/** One interface for every engine; the conformance suite runs against each. */
export interface Backend {
  readonly name: "docker" | "dagger";
  /** The buildx builder preflight chose (docker backend), for the log and the result. */
  readonly builder?: string | undefined;
  /** Fails fast, with a code and a hint, when the engine or a needed feature is missing. */
  preflight(nodes: readonly PlanNode[]): Promise<void>;
  build(request: BuildRequest): Promise<BuildOutput>;
  /**
   * Builds many images in one engine session (children from their parent's result in it). All
   * or nothing: it rejects when any image fails, and the caller builds what is left one by one.
   * Interrupted (the signal), it resolves with the images it had finished. `onExported` says,
   * as the session runs, when an image's result exists.
   */
  buildSession?(
    requests: readonly SessionBuildRequest[],
    onExported?: (name: string, at: number) => void,
  ): Promise<Map<string, SessionOutput>>;
  /** The local image ID a ref names, if the engine's store has it. */
  localImage(ref: string): Promise<string | undefined>;
  /** Unpacked bytes of a local image, when the engine's store holds it (result sizes). */
  imageSize?(ref: string): Promise<number | undefined>;
  /** Gives a local image another name (moving a local alias). */
  tagLocal(source: string, target: string): Promise<void>;
  close(): Promise<void>;
}
