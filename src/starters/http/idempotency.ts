import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { StartedProcess } from '../../client';
import { claimIdempotencyKey, idempotencyKeyId, releaseIdempotencyKey } from '../../client/idempotency-keys';
import { Problem } from './problems';

/**
 * Idempotency-Keys (per caller) with a fingerprint of the request they came with, kept in Temporal so
 * every API instance answers alike: the same key and request joins the process the first call started
 * (and answers as it did); the same key with another request is a 409. The process itself needs no key
 * to be started once (its workflow id comes from the case); the key only detects a caller reusing one
 * for a different request.
 */
export class IdempotencyKeys {
  constructor(
    private readonly client: Client,
    private readonly options: { ttlMs: number; taskQueue: string },
  ) {}

  async run(caller: string, key: string, request: unknown, execute: (keyId: string) => Promise<StartedProcess>): Promise<StartedProcess> {
    const keyId = idempotencyKeyId(caller, key);
    const claim = await claimIdempotencyKey(this.client, { keyId, fingerprint: fingerprintOf(request), ttlMs: this.options.ttlMs, taskQueue: this.options.taskQueue });
    if (claim.outcome === 'conflict') {
      throw new Problem(409, 'idempotency-conflict', 'Idempotency key reused', 'this idempotency key was used with a different request', { idempotencyKey: key });
    }
    try {
      return await execute(keyId);
    } catch (err) {
      // A failed attempt is not remembered: the caller may retry with the same key, or use it for another request.
      if (claim.outcome === 'claimed') await releaseIdempotencyKey(this.client, keyId, claim.runId).catch(() => undefined);
      throw err;
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
