import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import { parseConfig } from './parse';

/**
 * HTTP API settings (src/starters/http), validated once at start-up like the rest of the config.
 * Keys are kept as sha256 hashes only: a leaked config file does not leak a usable key.
 */
// operate: cancel processes that are not a case's (order sync, backfill, reconciliation): an operator's power, not a Flow's.
export const ApiScopes = ['start', 'signal', 'read', 'events', 'operate'] as const;
export const ApiScopeSchema = z.enum(ApiScopes);
export type ApiScope = z.infer<typeof ApiScopeSchema>;

export const ApiKeySchema = z.strictObject({
  /** Who holds the key (logs, rate-limit bucket, idempotency scope). */
  name: z.string().min(1).max(64),
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'hex sha256 of the key').transform((h) => h.toLowerCase()),
  scopes: z.array(ApiScopeSchema).min(1),
});
export type ApiKey = z.infer<typeof ApiKeySchema>;

const positiveInt = z.coerce.number().int().positive();

/**
 * fastify's trustProxy: false (the socket's address is the client), a hop count (that many proxies in
 * front), or the proxies' addresses/CIDRs. Only then is X-Forwarded-For believed, per client limits included.
 */
export const TrustProxySchema = z.union([z.literal(false), z.number().int().min(1).max(10), z.array(z.string().min(1).max(64)).min(1)]);
export type TrustProxy = z.infer<typeof TrustProxySchema>;

/** API_TRUST_PROXY: unset/false, a hop count ("1"), or a comma-separated address list ("10.0.0.0/8,127.0.0.1"). */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const text = value?.trim() ?? '';
  if (text === '' || text.toLowerCase() === 'false') return false;
  if (text.toLowerCase() === 'true') throw new Error('invalid configuration: API_TRUST_PROXY=true would believe any client\'s X-Forwarded-For; give the hop count or the proxies\' addresses');
  if (/^\d+$/.test(text)) return Number(text);
  return text.split(',').map((a) => a.trim()).filter(Boolean);
}

/**
 * One deprecated API operation: when it was (or will be) deprecated, when it stops answering, and where
 * callers read what to use instead. Dates are instants with an offset (RFC 3339).
 */
export const DeprecationSchema = z
  .strictObject({
    operationId: z.string().min(1).max(64),
    deprecatedAt: z.iso.datetime({ offset: true }),
    sunsetAt: z.iso.datetime({ offset: true }).optional(),
    /** The operation that replaces it, named in the spec and the 410 once retired. */
    successor: z.string().min(1).max(64).optional(),
    /** A page for humans about the deprecation (Link rel="deprecation"). */
    link: z.string().url().optional(),
  })
  .refine((d) => !d.sunsetAt || Date.parse(d.sunsetAt) > Date.parse(d.deprecatedAt), { message: 'sunsetAt must be after deprecatedAt', path: ['sunsetAt'] });
export type Deprecation = z.infer<typeof DeprecationSchema>;

export const ApiConfigSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(3000),
  keys: z.array(ApiKeySchema).default([]),
  /** Request bodies above this answer 413. */
  bodyLimitBytes: positiveInt.default(64 * 1024),
  /** Requests per key (or per address without a key) in each window. */
  rateLimitMax: positiveInt.default(600),
  rateLimitWindowMs: positiveInt.default(60_000),
  /**
   * A request (headers and body) must arrive within this long, or the connection is answered 408 and closed: a client
   * sending a body a byte at a time cannot hold a connection open for ever. Handlers' own time does not count.
   */
  requestTimeoutMs: positiveInt.default(30_000),
  /** Updates (approval, decision) wait for the workflow's answer this long; Flow callouts give up at 120 s. */
  updateTimeoutMs: positiveInt.default(30_000),
  /** /readyz gives Temporal this long to answer. */
  readyTimeoutMs: positiveInt.default(2_000),
  /** How long an Idempotency-Key is remembered (Stripe keeps them 24 h). */
  idempotencyTtlMs: positiveInt.default(24 * 60 * 60 * 1000),
  /** The externally visible base URL, advertised as the spec's server. */
  publicUrl: z.string().url().optional(),
  trustProxy: TrustProxySchema.default(false),
  /** Operations deprecated by the operators, added to the code's lifecycle table (src/starters/http/lifecycle.ts). */
  deprecations: z.array(DeprecationSchema).default([]),
});
export type ApiConfig = z.infer<typeof ApiConfigSchema>;
export type ApiConfigInput = z.input<typeof ApiConfigSchema>;

/** The sha256 (hex) a key is configured by: `node -e "console.log(require('crypto').createHash('sha256').update(KEY).digest('hex'))"`. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

type Env = Record<string, string | undefined>;

function jsonList(env: Env, name: string, example: string): unknown {
  const text = env[name]?.trim();
  if (!text) return [];
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`invalid configuration: ${name} is not JSON (expected ${example})`);
  }
}

/** API_HOST, API_PORT, RETAIL_API_KEYS (JSON), RETAIL_API_KEY (every scope), API_DEPRECATIONS (JSON), API_* limits. */
export function apiConfigFromEnv(env: Env = process.env): ApiConfig {
  const trustProxy = parseTrustProxy(env.API_TRUST_PROXY);
  let keys: unknown = [];
  if (env.RETAIL_API_KEYS?.trim()) {
    try {
      keys = JSON.parse(env.RETAIL_API_KEYS);
    } catch {
      throw new Error('invalid configuration: RETAIL_API_KEYS is not JSON (expected [{"name":"…","sha256":"…","scopes":["start","read"]}])');
    }
  }
  if (env.RETAIL_API_KEY && Array.isArray(keys)) keys = [...keys, { name: 'env', sha256: hashApiKey(env.RETAIL_API_KEY), scopes: [...ApiScopes] }];
  const input = {
    host: env.API_HOST || undefined,
    port: env.API_PORT || undefined,
    keys,
    bodyLimitBytes: env.API_BODY_LIMIT_BYTES || undefined,
    rateLimitMax: env.API_RATE_LIMIT_MAX || undefined,
    rateLimitWindowMs: env.API_RATE_LIMIT_WINDOW_MS || undefined,
    requestTimeoutMs: env.API_REQUEST_TIMEOUT_MS || undefined,
    updateTimeoutMs: env.API_UPDATE_TIMEOUT_MS || undefined,
    readyTimeoutMs: env.API_READY_TIMEOUT_MS || undefined,
    idempotencyTtlMs: env.API_IDEMPOTENCY_TTL_MS || undefined,
    publicUrl: env.API_PUBLIC_URL || undefined,
    trustProxy,
    deprecations: jsonList(env, 'API_DEPRECATIONS', '[{"operationId":"…","deprecatedAt":"2027-01-01T00:00:00Z","sunsetAt":"2027-07-01T00:00:00Z"}]'),
  };
  return parseConfig(ApiConfigSchema, input, 'api');
}

/** The API settings from defaults plus overrides (tests and embedding). */
export function apiConfig(input: ApiConfigInput = {}): ApiConfig {
  return ApiConfigSchema.parse(input);
}

/** A listener only this machine can reach: the only place a generated key or a shared webhook secret is acceptable. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '[::1]';
}
