import { createHash } from 'node:crypto';
import { Problem } from './problems';

/**
 * Remembers Idempotency-Keys (per caller) with a fingerprint of the request they came with: the same
 * key and request joins the first call's answer; the same key with another request is a 409.
 * The process itself needs no key to be started once (its workflow id comes from the case); the key
 * only detects a caller reusing one for a different request. Kept in memory: per API instance.
 */
export class IdempotencyKeys<T> {
  private readonly entries = new Map<string, { fingerprint: string; result: Promise<T>; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 50_000,
  ) {}

  async run(key: string, request: unknown, execute: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const fingerprint = fingerprintOf(request);
    const known = this.entries.get(key);
    if (known && known.expiresAt > now) {
      if (known.fingerprint !== fingerprint) {
        throw new Problem(409, 'idempotency-conflict', 'Idempotency key reused', 'this idempotency key was used with a different request', { idempotencyKey: key.slice(key.indexOf(':') + 1) });
      }
      return known.result;
    }
    this.evict(now);
    const result = execute();
    this.entries.set(key, { fingerprint, result, expiresAt: now + this.ttlMs });
    // A failed attempt is not remembered: the caller may retry with the same key.
    result.catch(() => this.entries.delete(key));
    return result;
  }

  private evict(now: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now || this.entries.size >= this.maxEntries) this.entries.delete(key);
      else break;
    }
  }
}

/** Canonical JSON (sorted keys) hashed, so field order does not make two equal requests differ. */
function fingerprintOf(value: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
    return v;
  };
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex');
}
