import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures as the ERP and the WMS send them (Stripe's header, with the source signed too):
 * `X-Retail-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "v1:<source>:<t>:<raw body>")>`
 * (several v1 entries allowed while a secret rotates). Signing the source means a signature made for
 * /v1/events/erp is worthless at /v1/events/warehouse, even under one shared secret. A signature is
 * good once, within the tolerance window.
 */
export const SIGNATURE_HEADER = 'x-retail-signature';
export const SOURCE_HEADER = 'x-retail-event-source';

export type SignatureVerdict = { ok: true; signature: string; timestamp: number } | { ok: false; reason: 'missing-signature' | 'invalid-signature' | 'stale-signature' | 'replayed-signature' };

/** The string a sender signs: `v1:<source>:<t>:` then the raw body bytes. */
export function sign(secret: string, source: string, rawBody: Buffer | string, unixSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`v1:${source}:${unixSeconds}:`).update(rawBody).digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}

/** Checks signatures and remembers the good ones until they would be stale anyway, so none is accepted twice. */
export class SignatureVerifier {
  /** signature → when it can be forgotten (ms); insertion order ≈ time order. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly toleranceSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  verify(secret: string, source: string, header: string | string[] | undefined, rawBody: Buffer): SignatureVerdict {
    if (typeof header !== 'string' || !header) return { ok: false, reason: 'missing-signature' };
    const parts = header.split(',').map((p) => p.trim().split('='));
    const t = parts.find(([k]) => k === 't')?.[1];
    const given = parts.filter(([k, v]) => k === 'v1' && /^[0-9a-f]{64}$/i.test(v ?? '')).map(([, v]) => v.toLowerCase());
    if (!t || !/^\d{1,12}$/.test(t) || given.length === 0) return { ok: false, reason: 'invalid-signature' };
    const timestamp = Number(t);
    const nowMs = this.now();
    if (Math.abs(nowMs / 1000 - timestamp) > this.toleranceSeconds) return { ok: false, reason: 'stale-signature' };
    const expected = Buffer.from(sign(secret, source, rawBody, timestamp).slice(`t=${timestamp},v1=`.length), 'hex');
    const match = given.find((v) => timingSafeEqual(Buffer.from(v, 'hex'), expected));
    if (!match) return { ok: false, reason: 'invalid-signature' };
    this.forgetExpired(nowMs);
    if (this.seen.has(match)) return { ok: false, reason: 'replayed-signature' };
    this.seen.set(match, (timestamp + this.toleranceSeconds) * 1000 + 1000);
    return { ok: true, signature: match, timestamp };
  }

  /** The request failed before anything was delivered: the sender may retry with the same signature. */
  release(signature: string): void {
    this.seen.delete(signature);
  }

  get remembered(): number {
    return this.seen.size;
  }

  private forgetExpired(nowMs: number): void {
    for (const [signature, until] of this.seen) {
      if (until > nowMs) break;
      this.seen.delete(signature);
    }
  }
}
