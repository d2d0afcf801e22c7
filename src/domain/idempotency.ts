const MAX_KEY_LENGTH = 255;

/** FNV-1a, 2 × 32 bits: deterministic and dependency-free, so workflow code can derive keys too. */
function fnv1a(text: string, seed: number): string {
  let hash = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/**
 * The idempotency key of one business step: derived from the workflow id and the step name,
 * never the run id or attempt, so retries, crashes and replays reuse it. Only [A-Za-z0-9:._-],
 * so it is also safe as a Salesforce external id and in a URL path; at most 255 characters.
 */
export function idempotencyKey(workflowId: string, step: string): string {
  const raw = `${workflowId}:${step}`.replace(/[^A-Za-z0-9:._-]/g, ':');
  if (raw.length <= MAX_KEY_LENGTH) return raw;
  return `${raw.slice(0, 200)}:h${fnv1a(raw, 0x811c9dc5)}${fnv1a(raw, 0x01000193)}`;
}
