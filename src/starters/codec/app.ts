import { timingSafeEqual, createHash } from 'node:crypto';
import fastifyCors from '@fastify/cors';
import type { Payload } from '@temporalio/common';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ApiKey } from '../../config/api';
import type { Logger } from '../../observability/logger';
import type { EncryptionCodec } from '../../temporal/payload-codec';
import { createKeyring } from '../http/auth';
import { Problem, sendProblem, toProblem } from '../http/problems';
import { requestTimeouts } from '../server-timeouts';

/**
 * Temporal's remote codec protocol for people: the Web UI and `temporal workflow show
 * --codec-endpoint` send sealed payloads to /decode and get them back readable. Callers prove who
 * they are with an API key that has the `read` scope (Authorization: Bearer, or X-API-Key) or the
 * server's own token; on a loopback listener the Web UI's own origin may call without one, because
 * the dev server's UI has no way to attach a credential.
 */
export interface CodecServerOptions {
  codec: EncryptionCodec;
  /** The namespace whose payloads this codec serves (the Web UI sends it as X-Namespace). */
  namespace: string;
  /** Browser origins allowed by CORS (the Web UI's). */
  origins: string[];
  /** API keys; those with the `read` scope may decode. */
  keys: ApiKey[];
  /** A token of the codec server's own (CODEC_SERVER_TOKEN), for tools that cannot hold an API key. */
  token?: string;
  /** Let an allowed origin call without a credential (only for a loopback listener). */
  trustOriginsWithoutCredential: boolean;
  bodyLimitBytes?: number;
  /** A request's headers and body must arrive within this long (default 30 s), else 408. */
  requestTimeoutMs?: number;
  logger: Logger;
}

const base64 = z.string().max(8 * 1024 * 1024).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
const WirePayloadSchema = z.object({ metadata: z.record(z.string().max(256), base64).optional(), data: base64.optional() });
const PayloadsBodySchema = z.object({ payloads: z.array(WirePayloadSchema).max(10_000) });
type WirePayload = z.infer<typeof WirePayloadSchema>;

const fromWire = (p: WirePayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toWire = (p: Payload): WirePayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

export async function buildCodecServer(options: CodecServerOptions): Promise<FastifyInstance> {
  const { codec, logger } = options;
  const identify = createKeyring(options.keys);
  const tokenDigest = options.token ? createHash('sha256').update(options.token).digest() : undefined;
  const app = Fastify({ logger: false, bodyLimit: options.bodyLimitBytes ?? 32 * 1024 * 1024, ...requestTimeouts(options.requestTimeoutMs ?? 30_000) });

  await app.register(fastifyCors, {
    origin: options.origins,
    methods: ['POST', 'OPTIONS'],
    allowedHeaders: ['Content-Type', 'X-Namespace', 'Authorization', 'X-API-Key'],
    credentials: true,
    maxAge: 600,
  });

  app.setErrorHandler((err, request, reply) => {
    const problem = toProblem(err);
    if (problem.status >= 500) logger.error('codec request failed', { requestId: request.id, error: (err as Error).message });
    return sendProblem(request, reply, problem);
  });

  const authorize = (request: FastifyRequest): string => {
    const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1]?.trim();
    const presented = bearer ?? (typeof request.headers['x-api-key'] === 'string' ? request.headers['x-api-key'] : undefined);
    if (presented) {
      if (tokenDigest && timingSafeEqual(createHash('sha256').update(presented).digest(), tokenDigest)) return 'codec-token';
      const principal = identify(presented);
      if (principal?.scopes.has('read')) return principal.name;
      throw new Problem(principal ? 403 : 401, principal ? 'forbidden' : 'unauthorized', principal ? 'Forbidden' : 'Unauthorized', principal ? 'this key lacks the "read" scope' : 'the credential is not valid');
    }
    const origin = request.headers.origin;
    if (options.trustOriginsWithoutCredential && origin && options.origins.includes(origin)) return `web-ui ${origin}`;
    throw new Problem(401, 'unauthorized', 'Unauthorized', 'send Authorization: Bearer <API key with the read scope, or the codec token>');
  };

  const checkNamespace = (request: FastifyRequest) => {
    const namespace = request.headers['x-namespace'];
    if (namespace !== undefined && namespace !== options.namespace) {
      throw new Problem(403, 'wrong-namespace', 'Wrong namespace', `this codec serves namespace "${options.namespace}", not "${String(namespace)}"`);
    }
  };

  const parse = (body: unknown) => {
    const parsed = PayloadsBodySchema.safeParse(body);
    if (!parsed.success) throw new Problem(400, 'validation', 'Invalid request', 'expected {"payloads":[{"metadata":{…base64},"data":"base64"}]}');
    return parsed.data.payloads.map(fromWire);
  };

  for (const direction of ['encode', 'decode'] as const) {
    app.post(`/${direction}`, async (request) => {
      const caller = authorize(request);
      checkNamespace(request);
      const payloads = parse(request.body);
      const result = direction === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
      logger.debug(`codec ${direction}`, { caller, payloads: payloads.length, requestId: request.id });
      return { payloads: result.map(toWire) };
    });
  }
  app.get('/healthz', async () => ({ status: 'ok', keyId: codec.currentKeyId }));
  return app;
}
