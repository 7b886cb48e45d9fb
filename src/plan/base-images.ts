import { formatReference, parseReference } from "../model/oci.js";

/**
 * Replaces an external base image through the mapping: an exact key wins; a key naming only a
 * repository (`debian`, `node`) replaces the repository and keeps the original tag unless the
 * replacement has its own.
 */
export function mapBaseImage(ref: string, mapping: Readonly<Record<string, string>>): string {
  const exact = mapping[ref];
  if (exact !== undefined) return exact;
  const parsed = parseReference(ref);
  if (!parsed.ok) return ref;
  const name = parsed.value.domain
    ? `${parsed.value.domain}/${parsed.value.path}`
    : parsed.value.path;
  const byName = mapping[name] ?? mapping[name.replace(/^library\//, "")];
  if (byName === undefined) return ref;
  const replacement = parseReference(byName);
  if (!replacement.ok || replacement.value.tag || replacement.value.digest) return byName;
  return formatReference({
    ...replacement.value,
    tag: parsed.value.tag,
    digest: parsed.value.digest,
  });
}
