import type { Readable, Writable } from "node:stream";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { type JSONRPCMessage, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";

/** JSON-RPC 2.0 error codes this transport answers with itself. */
export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const INVALID_PARAMS = -32602;

/** The SDK's stdio limit: a longer line is refused (and skipped), not a reason to exit. */
export const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

type Id = string | number | null;

const MESSAGE_KEYS = new Set(["jsonrpc", "id", "method", "params", "result", "error"]);

interface Rejection {
  id: Id;
  code: number;
  message: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Why a parsed line is not a JSON-RPC message, in words a client's author can act on. */
export function checkMessage(value: unknown): { valid: JSONRPCMessage } | Rejection {
  if (Array.isArray(value))
    return {
      id: null,
      code: INVALID_REQUEST,
      message: "Invalid Request: batches are not supported",
    };
  if (!isRecord(value))
    return { id: null, code: INVALID_REQUEST, message: "Invalid Request: not a JSON object" };
  const id: Id = typeof value.id === "string" || typeof value.id === "number" ? value.id : null;
  const reject = (code: number, message: string): Rejection => ({ id, code, message });
  if (value.jsonrpc !== "2.0")
    return reject(INVALID_REQUEST, 'Invalid Request: jsonrpc: must be "2.0"');
  if ("id" in value && id === null && "method" in value)
    return reject(INVALID_REQUEST, "Invalid Request: id: must be a string or a number");
  if ("method" in value && typeof value.method !== "string")
    return reject(INVALID_REQUEST, "Invalid Request: method: must be a string");
  if ("method" in value && "params" in value && !isRecord(value.params))
    return reject(INVALID_PARAMS, "Invalid params: params: must be an object");
  const unknown = Object.keys(value).filter((key) => !MESSAGE_KEYS.has(key));
  if (unknown.length > 0)
    return reject(
      INVALID_REQUEST,
      `Invalid Request: unknown key ${unknown
        .slice(0, 5)
        .map((key) => JSON.stringify(key.slice(0, 40)))
        .join(", ")}`,
    );
  const parsed = JSONRPCMessageSchema.safeParse(value);
  if (parsed.success) return { valid: parsed.data };
  return reject(INVALID_REQUEST, "Invalid Request: not a request, notification or response");
}

/**
 * MCP over newline-delimited JSON on stdio, answering what the SDK's transport drops silently:
 * unparsable lines (-32700), invalid messages (-32600/-32602) and over-long lines (-32600, then
 * skipped). End of input closes the transport, which cancels every request in flight.
 */
export class LineTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Inside a line that was too long: skip up to its newline. */
  private skipping = false;
  private closed = false;

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    private readonly maxBytes = MAX_MESSAGE_BYTES,
  ) {}

  private readonly onData = (chunk: Buffer) => {
    let rest = chunk;
    while (!this.closed) {
      const newline = rest.indexOf(10);
      if (newline === -1) {
        this.keep(rest);
        return;
      }
      this.keep(rest.subarray(0, newline));
      rest = rest.subarray(newline + 1);
      const line = Buffer.concat(this.pending);
      const skipped = this.skipping;
      this.pending = [];
      this.pendingBytes = 0;
      this.skipping = false;
      if (!skipped) this.handleLine(line.toString("utf8").replace(/\r$/, ""));
    }
  };

  private readonly onEnd = () => {
    void this.close();
  };

  private readonly onOutputError = (error: Error) => {
    this.onerror?.(error);
    void this.close();
  };

  private keep(part: Buffer): void {
    if (this.skipping || part.length === 0) return;
    if (this.pendingBytes + part.length > this.maxBytes) {
      this.pending = [];
      this.pendingBytes = 0;
      this.skipping = true;
      this.reject({
        id: null,
        code: INVALID_REQUEST,
        message: `Invalid Request: message larger than ${this.maxBytes} bytes (skipped)`,
      });
      return;
    }
    this.pending.push(part);
    this.pendingBytes += part.length;
  }

  private handleLine(line: string): void {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.reject({ id: null, code: PARSE_ERROR, message: "Parse error: the line is not JSON" });
      return;
    }
    const checked = checkMessage(value);
    if ("valid" in checked) this.onmessage?.(checked.valid);
    else this.reject(checked);
  }

  private reject(rejection: Rejection): void {
    void this.send({
      jsonrpc: "2.0",
      id: rejection.id,
      error: { code: rejection.code, message: rejection.message },
    } as unknown as JSONRPCMessage);
  }

  async start(): Promise<void> {
    this.input.on("data", this.onData);
    this.input.on("end", this.onEnd);
    this.input.on("close", this.onEnd);
    this.input.on("error", this.onEnd);
    this.output.on("error", this.onOutputError);
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.closed || this.output.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      if (this.output.write(`${JSON.stringify(message)}\n`)) resolve();
      else this.output.once("drain", resolve);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.input.off("data", this.onData);
    this.input.off("end", this.onEnd);
    this.input.off("close", this.onEnd);
    this.input.off("error", this.onEnd);
    // The output's error listener stays: a write still in flight may fail after this.
    this.input.pause();
    this.pending = [];
    this.onclose?.();
  }
}
