/**
 * 2: Dockerfile digests, generated Dockerfiles inline, base image digests, paths from root.
 * Its own module (no zod): a plan is made without building the plan document's schema.
 */
export const PLAN_SCHEMA_VERSION = 2;
