import { z } from "zod";
import {
  errorSchema,
  healthSchema,
  jobPageSchema,
  jobRequestSchema,
  jobSchema,
  resolutionSchema,
} from "./schemas.js";
import { JOB_KINDS, JOB_STATUSES } from "./store/types.js";

type Json = Record<string, unknown>;

/** Zod schemas as OpenAPI components: shared parts become $refs, no `$schema`/`$id` inside. */
function components(schemas: Record<string, z.ZodType>, io: "input" | "output"): Json {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const out = z.toJSONSchema(registry, {
    io,
    unrepresentable: "any",
    uri: (id) => `#/components/schemas/${id}`,
  }).schemas;
  return Object.fromEntries(
    Object.entries(out).map(([id, { $schema: _s, $id: _i, ...schema }]) => [id, schema]),
  );
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (id: string, description: string) => ({
  description,
  content: { "application/json": { schema: ref(id) } },
});
// Node's HTTP parser answers 431 itself, with no body.
const failures = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => {
      const description = ERROR_DESCRIPTIONS[status] ?? "";
      return [String(status), status === 431 ? { description } : json("Error", description)];
    }),
  );

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "Invalid request (the error code says why, e.g. PATH_OUTSIDE_ROOT, INVALID_REQUEST).",
  401: "No bearer token, or not a valid one.",
  403: "The token lacks the scope (read or build).",
  404: "No such job.",
  409: "The Idempotency-Key was used for a different request.",
  413: "The request body is too large.",
  422: "The workspace's catalog or pipeline is invalid, or the git repository named cannot be read (GIT_FETCH_FAILED, GIT_TIMEOUT).",
  429: "Too many requests from this token: see Retry-After.",
  431: "The request's headers or URL are too large (Node's limit).",
  503: "The job queue cannot be reached.",
};

const idempotencyKey = {
  name: "Idempotency-Key",
  in: "header",
  required: false,
  description: "A retried submit with the same key returns the first job (200).",
  schema: { type: "string", pattern: "^[\\x21-\\x7e]{1,200}$" },
};

const binary = { type: "string", contentMediaType: "application/octet-stream" };

/** JSON-RPC 2.0 as MCP's Streamable HTTP transport speaks it (its own error bodies too). */
const JSON_RPC = {
  JsonRpcMessage: {
    type: "object",
    description: "One JSON-RPC 2.0 request, notification or response (MCP).",
    required: ["jsonrpc"],
    properties: {
      jsonrpc: { const: "2.0" },
      id: { oneOf: [{ type: "string" }, { type: "integer" }] },
      method: { type: "string", examples: ["initialize", "tools/list", "tools/call"] },
      params: { type: "object" },
    },
  },
  JsonRpcError: {
    type: "object",
    description: "The MCP transport's own error answer.",
    required: ["jsonrpc", "error"],
    properties: {
      jsonrpc: { const: "2.0" },
      error: {
        type: "object",
        required: ["code", "message"],
        properties: { code: { type: "integer" }, message: { type: "string" }, data: {} },
      },
      id: {},
    },
  },
};

const rpc = (description: string) => ({
  description,
  content: { "application/json": { schema: ref("JsonRpcError") } },
});

const jobId = {
  name: "id",
  in: "path",
  required: true,
  schema: { type: "string", pattern: "^[A-Za-z0-9_-]{1,100}$" },
};

/** The OpenAPI 3.1 document of the HTTP API, from the same zod schemas the handlers use. */
export function openApiDocument(version: string): Json {
  const schemas = {
    ...components(
      {
        Job: jobSchema,
        JobPage: jobPageSchema,
        Error: errorSchema,
        Resolution: resolutionSchema,
        Health: healthSchema,
      },
      "output",
    ),
    ...components({ JobRequest: jobRequestSchema }, "input"),
    ...JSON_RPC,
  };
  const read = failures(401, 403, 429);
  const cancel = {
    summary:
      "Cancel a job: a queued one at once, a running one is stopped (its partial result kept).",
    parameters: [jobId],
    responses: {
      "202": json("Job", "The job after the cancel request."),
      ...failures(404),
      ...read,
    },
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "Hilt build service",
      version,
      description:
        "Submit Hilt jobs (build, build-all, plan, detect) on folders of the server's workspace, on a git repository (cloned into the job's own folder) or on an uploaded archive, follow their events, read their result JSON; MCP at /mcp. Bearer tokens with read or build scope. Serve it behind a TLS-terminating reverse proxy.",
    },
    components: {
      schemas,
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    },
    security: [{ bearer: [] }],
    paths: {
      "/health": {
        get: {
          summary: "Liveness.",
          security: [],
          responses: { "200": json("Health", "The server answers.") },
        },
      },
      "/ready": {
        get: {
          summary: "Readiness: the job queue can be reached.",
          security: [],
          responses: { "200": json("Health", "Ready."), ...failures(503) },
        },
      },
      "/jobs": {
        post: {
          summary: "Submit a job. It is on disk before the answer.",
          parameters: [idempotencyKey],
          requestBody: {
            required: true,
            content: { "application/json": { schema: ref("JobRequest") } },
          },
          responses: {
            "202": json("Job", "Accepted: the job is queued."),
            "200": json("Job", "The job an earlier submit with this Idempotency-Key created."),
            ...failures(400, 401, 403, 409, 413, 422, 429),
          },
        },
        get: {
          summary: "List jobs, newest first.",
          parameters: [
            { name: "status", in: "query", schema: { type: "string", enum: [...JOB_STATUSES] } },
            { name: "kind", in: "query", schema: { type: "string", enum: [...JOB_KINDS] } },
            { name: "owner", in: "query", schema: { type: "string", maxLength: 100 } },
            {
              name: "limit",
              in: "query",
              schema: { type: "integer", minimum: 1, maximum: 100, default: 20 },
            },
            { name: "cursor", in: "query", schema: { type: "string", maxLength: 200 } },
          ],
          responses: {
            "200": json("JobPage", "A page of jobs."),
            ...failures(400, 431),
            ...read,
          },
        },
      },
      "/jobs/archive": {
        post: {
          summary:
            "Submit a job whose source is the uploaded archive (the body: .tar.gz or .tar, at most the server's --max-body). It is unpacked into the job's own folder before the answer; symbolic and hard links, devices, FIFOs, setuid/setgid bits, .git folders, absolute and .. paths are refused (ARCHIVE_ENTRY_REFUSED), as are more than --source-max-bytes unpacked (SOURCE_TOO_LARGE, 413) or --archive-max-entries entries (413). The format is read from the bytes, not the Content-Type.",
          parameters: [
            {
              name: "kind",
              in: "query",
              required: true,
              schema: { type: "string", enum: [...JOB_KINDS] },
            },
            {
              name: "workspace",
              in: "query",
              description: "Folder inside the archive (default: its top).",
              schema: { type: "string", maxLength: 256 },
            },
            {
              name: "options",
              in: "query",
              description:
                'The job\'s options as JSON, as in JobRequest (e.g. {"targets":["app"]} for build).',
              schema: { type: "string", maxLength: 1024 },
            },
            idempotencyKey,
          ],
          requestBody: {
            required: true,
            content: {
              "application/gzip": { schema: binary },
              "application/x-tar": { schema: binary },
              "application/octet-stream": { schema: binary },
            },
          },
          responses: {
            "202": json("Job", "Accepted: unpacked, and the job is queued."),
            "200": json("Job", "The job an earlier submit with this Idempotency-Key created."),
            ...failures(400, 401, 403, 409, 413, 429, 431),
          },
        },
      },
      "/jobs/{id}": {
        get: {
          summary: "A job: status, and the result JSON exactly as the CLI printed it.",
          parameters: [jobId],
          responses: { "200": json("Job", "The job."), ...failures(404), ...read },
        },
        delete: cancel,
      },
      "/jobs/{id}/cancel": { post: cancel },
      "/jobs/{id}/events": {
        get: {
          summary:
            "The job's events (the CLI's --events NDJSON) as Server-Sent Events: id = seq, resumable with Last-Event-ID; ends with `event: end` once the job is final.",
          parameters: [
            jobId,
            {
              name: "Last-Event-ID",
              in: "header",
              required: false,
              schema: { type: "string", pattern: "^[0-9]{1,15}$" },
            },
          ],
          responses: {
            "200": {
              description: "The event stream.",
              content: {
                "text/event-stream": {
                  schema: {
                    type: "object",
                    description:
                      "One SSE event: data is one --events JSON line (or, with event: end, {id, status}).",
                    properties: {
                      data: { type: "string" },
                      event: { type: "string", description: '"end" on the last event' },
                      id: { type: "string", description: "The event's seq" },
                    },
                    required: ["data"],
                  },
                },
              },
            },
            ...failures(400, 404),
            ...read,
          },
        },
      },
      "/resolve-image": {
        get: {
          summary: "Which image a session or a task runs in (hilt resolve-image).",
          parameters: [
            {
              name: "mode",
              in: "query",
              required: true,
              schema: { type: "string", enum: ["session", "task"] },
            },
            {
              name: "provider",
              in: "query",
              schema: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" },
            },
            { name: "needs", in: "query", schema: { type: "string", maxLength: 1000 } },
            { name: "workspace", in: "query", schema: { type: "string", maxLength: 4096 } },
          ],
          responses: {
            "200": json("Resolution", "The image and the rule that chose it."),
            ...failures(400, 422, 431),
            ...read,
          },
        },
      },
      "/mcp": {
        post: {
          summary:
            "MCP over Streamable HTTP, stateless: one JSON-RPC message (or a batch) per POST, the tools of `hilt mcp` confined to the server's workspace; needs the build scope. The request must accept both application/json and text/event-stream (otherwise 406) and be application/json (otherwise 415). GET and DELETE are 405: there is no session.",
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: {
                  oneOf: [
                    ref("JsonRpcMessage"),
                    { type: "array", items: ref("JsonRpcMessage"), maxItems: 100 },
                  ],
                },
              },
            },
          },
          responses: {
            "200": {
              description: "The JSON-RPC answer, as JSON or as an SSE stream (tool progress).",
              content: {
                "application/json": { schema: {} },
                "text/event-stream": { schema: { type: "string" } },
              },
            },
            "202": { description: "A notification or response was accepted (no body)." },
            "400": rpc("Not a JSON-RPC message (parse error, invalid request)."),
            "406": rpc("The Accept header lacks application/json or text/event-stream."),
            "413": {
              description: "The request body is too large.",
              content: {
                "application/json": { schema: { anyOf: [ref("Error"), ref("JsonRpcError")] } },
              },
            },
            "415": rpc("The Content-Type is not application/json."),
            ...read,
          },
        },
      },
      "/openapi.json": {
        get: {
          summary: "This document.",
          responses: {
            "200": { description: "OpenAPI 3.1", content: { "application/json": {} } },
            ...read,
          },
        },
      },
    },
  };
}
