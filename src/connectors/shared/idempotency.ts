import { createHash } from 'node:crypto';

const MAX_KEY_LENGTH = 255;

/**
 * The idempotency key of one business step: derived from the workflow id and the step name,
 * never the run id or attempt, so retries, crashes and replays reuse it. Only [A-Za-z0-9:._-]
 * so it is also safe as a Salesforce external id and in a URL path.
 */
export function idempotencyKey(workflowId: string, step: string): string {
  const raw = `${workflowId}:${step}`.replace(/[^A-Za-z0-9:._-]/g, ':');
  if (raw.length <= MAX_KEY_LENGTH) return raw;
  return `h:${createHash('sha256').update(raw).digest('hex')}`;
}
