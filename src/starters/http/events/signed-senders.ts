import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EventsConfig } from '../../../config/events';
import { API_KEY_HEADER } from '../auth';
import { Problem } from '../problems';
import { WindowLimiter } from './limits';
import { SignatureVerifier, SIGNATURE_HEADER } from './signature';

const signatureDetail: Record<string, string> = {
  'missing-signature': `send the ${SIGNATURE_HEADER} header (t=<unix seconds>,v1=<hex HMAC-SHA256 of "v1:<source>:<t>:<raw body>">)`,
  'invalid-signature': 'the signature does not match the source, the body and the source\'s secret',
  'stale-signature': 'the signature\'s timestamp is outside the tolerance window',
  'replayed-signature': 'this signature was already used',
};

/** A request let through: its raw body, and `release` to call when nothing was delivered, so the sender's retry with this signature gets through. */
export interface SignedRequest {
  raw: Buffer;
  release: () => void;
}

/**
 * The gate of a signed webhook route: refuses addresses that keep sending bad signatures, checks the
 * source's signature over the raw body (once only, within the tolerance), and limits each signed
 * source (many addresses behind one ERP are one sender).
 */
export function signedSenders(settings: EventsConfig) {
  const verifier = new SignatureVerifier(settings.toleranceSeconds);
  const perSource = new WindowLimiter(settings.rateLimitPerSource, settings.rateLimitWindowMs);
  const unsignedPerAddress = new WindowLimiter(settings.rateLimitUnsignedPerAddress, settings.rateLimitWindowMs);
  const tooMany = (reply: FastifyReply, wait: { retryAfterSeconds: number }, detail: string) => {
    reply.header('retry-after', String(wait.retryAfterSeconds));
    return new Problem(429, 'rate-limited', 'Too many requests', `${detail}; retry after ${wait.retryAfterSeconds} s`);
  };

  return (request: FastifyRequest, reply: FastifyReply, source: string, secret: string | undefined): SignedRequest => {
    const address = `ip:${request.ip}`;
    const blocked = unsignedPerAddress.full(address);
    if (blocked) throw tooMany(reply, blocked, 'too many requests with a missing or bad signature from this address');
    if (!secret) {
      unsignedPerAddress.take(address);
      throw new Problem(401, 'invalid-signature', 'Unauthorized', `no signing secret is configured for source "${source}"`);
    }
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const verdict = verifier.verify(secret, source, request.headers[SIGNATURE_HEADER], raw);
    if (!verdict.ok) {
      unsignedPerAddress.take(address);
      throw new Problem(401, verdict.reason, 'Unauthorized', signatureDetail[verdict.reason]);
    }
    const full = perSource.take(`source:${source}`);
    if (full) {
      // Refused before anything was delivered: the sender's retry with this signature must get through.
      verifier.release(verdict.signature);
      throw tooMany(reply, full, `source "${source}" sent more than ${settings.rateLimitPerSource} signed requests in ${settings.rateLimitWindowMs / 1000} s`);
    }
    return { raw, release: () => verifier.release(verdict.signature) };
  };
}

/**
 * A signed route's context: raw bodies (the signature covers the exact bytes; parse after verifying),
 * and an API key, when sent, must be valid and carry the "events" scope (required when configured).
 */
export function acceptSignedBodies(app: FastifyInstance, settings: EventsConfig): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: settings.bodyLimitBytes }, (_request, body, done) => done(null, body));
  app.addHook('preParsing', async (request) => {
    const presented = request.headers[API_KEY_HEADER];
    if (typeof presented === 'string' && presented && !request.principal) throw new Problem(401, 'unauthorized', 'Unauthorized', 'the API key is not valid');
    if (request.principal && !request.principal.scopes.has('events')) throw new Problem(403, 'forbidden', 'Forbidden', 'this API key lacks the "events" scope', { requiredScope: 'events' });
    if (settings.requireApiKey && !request.principal) throw new Problem(401, 'unauthorized', 'Unauthorized', `send an API key in the ${API_KEY_HEADER} header`);
  });
}
