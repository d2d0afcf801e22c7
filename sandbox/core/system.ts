import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { FaultInjector, FaultRuleInput, type FaultAction } from './faults';
import { JsonStore, type LedgerEntry } from './store';
import type { World } from '../seed/world';

/** How a system writes an error body in its own dialect (Salesforce array, Stripe envelope, ...). */
export type ErrorWriter = (reply: FastifyReply, status: number, code: string, message: string) => FastifyReply;

export interface SystemContext<S> {
  name: string;
  store: JsonStore<S>;
  faults: FaultInjector;
  /** The system's own URL once it listens (for links such as nextRecordsUrl or webhooks). */
  url: () => string;
  sendError: ErrorWriter;
  /**
   * Runs a mutating handler once per Idempotency-Key, the way Stripe does: the first response
   * (status and body, errors included) is saved and replayed for the same key and parameters;
   * other parameters with the same key, or the key while still in flight, answer 409.
   */
  idempotent: (
    request: FastifyRequest,
    reply: FastifyReply,
    handler: () => Promise<{ status: number; body: unknown }> | { status: number; body: unknown },
    key?: string,
  ) => Promise<FastifyReply>;
  record: (entry: Omit<LedgerEntry, 'seq' | 'at'>) => LedgerEntry;
  /** Options this system was started with (webhook targets etc). */
  options: Record<string, string | undefined>;
}

/** How a system answers an injected failure when its real counterpart has its own shape (Salesforce's 403 limit). */
export type FaultWriter = (reply: FastifyReply, action: Extract<FaultAction, { kind: 'error' }>) => FastifyReply | undefined;

export interface SystemDefinition<S> {
  name: string;
  defaultPort: number;
  seed: (world: World) => S;
  sendError: ErrorWriter;
  /** Optional: answers injected failures itself; undefined falls back to the generic status, code and Retry-After. */
  sendFault?: FaultWriter;
  routes: (app: FastifyInstance, ctx: SystemContext<S>) => void | Promise<void>;
  /** Called after listen; returns a stop function for background work (webhook dispatch, ...). */
  background?: (ctx: SystemContext<S>) => () => void;
}

export interface StartOptions {
  port?: number;
  host?: string;
  /** Folder for the state file; omitted = in memory only. */
  stateDir?: string;
  world: () => World;
  options?: Record<string, string | undefined>;
  logger?: boolean;
}

export interface RunningSystem<S = unknown> {
  name: string;
  url: string;
  port: number;
  ctx: SystemContext<S>;
  app: FastifyInstance;
  close: () => Promise<void>;
}

const stableStringify = (value: unknown): string => {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => a.localeCompare(b));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
};

/**
 * A request a system makes to itself (a composite's subrequest) carries this header with this
 * process's secret: it is part of the request that brought it, so it is neither logged nor faulted
 * on its own, and a client cannot forge the mark.
 */
export const INTERNAL_REQUEST = { header: 'x-sandbox-internal', token: randomUUID() } as const;
export const isInternalRequest = (request: FastifyRequest): boolean => request.headers[INTERNAL_REQUEST.header] === INTERNAL_REQUEST.token;

export function fingerprint(method: string, url: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${url.split('?')[0]} ${stableStringify(body ?? null)}`).digest('hex');
}

const LedgerQuery = z.object({
  kind: z.string().optional(),
  ref: z.string().optional(),
  key: z.string().optional(),
  sinceSeq: z.coerce.number().int().optional(),
});

const RequestLogQuery = z.object({
  since: z.coerce.number().int().nonnegative().optional(),
  after: z.coerce.number().int().nonnegative().optional(),
});

export async function startSystem<S>(def: SystemDefinition<S>, opts: StartOptions): Promise<RunningSystem<S>> {
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: 50 * 1024 * 1024 });
  const store = new JsonStore<S>(opts.stateDir ? join(opts.stateDir, `${def.name}.json`) : undefined, () => def.seed(opts.world()));
  const faults = new FaultInjector();
  let url = '';
  // Each entry is logged before its answer leaves, so a caller that has seen an answer finds its request in the log;
  // `seq` orders entries for marks that do not depend on the clock.
  const requestLog: { seq: number; at: number; method: string; path: string; status: number }[] = [];
  let lastSeq = 0;

  const ctx: SystemContext<S> = {
    name: def.name,
    store,
    faults,
    url: () => url,
    sendError: def.sendError,
    options: opts.options ?? {},
    record: (entry) => store.record(entry),
    idempotent: async (request, reply, handler, explicitKey) => {
      const key = explicitKey ?? (request.headers['idempotency-key'] as string | undefined);
      if (!key) {
        const result = await handler();
        return reply.code(result.status).send(result.body);
      }
      if (key.length > 255) return def.sendError(reply, 400, 'idempotency_key_too_long', 'Idempotency keys are at most 255 characters');
      const print = fingerprint(request.method, request.url, request.body);
      const saved = store.idempotency[key];
      if (saved) {
        if (saved.fingerprint !== print) {
          return def.sendError(reply, 409, 'idempotency_error', `Keys for idempotent requests can only be used with the same parameters they were first used with (key ${key})`);
        }
        if (saved.inFlight) {
          return def.sendError(reply, 409, 'idempotency_key_in_use', 'There is currently another in-progress request using this Idempotency-Key; retry later');
        }
        return reply.header('idempotent-replayed', 'true').code(saved.status ?? 200).send(saved.body);
      }
      store.idempotency[key] = { fingerprint: print, inFlight: true, at: new Date().toISOString() };
      try {
        const result = await handler();
        store.idempotency[key] = { fingerprint: print, inFlight: false, status: result.status, body: result.body, at: new Date().toISOString() };
        store.changed();
        return reply.code(result.status).send(result.body);
      } catch (err) {
        const body = { error: { type: 'api_error', message: (err as Error).message } };
        store.idempotency[key] = { fingerprint: print, inFlight: false, status: 500, body, at: new Date().toISOString() };
        store.changed();
        throw err;
      }
    },
  };

  // Faults apply to the system's own routes, never to the admin surface.
  const slowResponses = new WeakMap<FastifyRequest, number>();
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0];
    if (path.startsWith('/__sandbox') || isInternalRequest(request)) return;
    for (const action of faults.evaluate(request.method, path)) {
      if (action.kind === 'latency') {
        await new Promise((resolve) => setTimeout(resolve, action.ms));
      } else if (action.kind === 'slow-response') {
        slowResponses.set(request, action.ms);
      } else if (action.kind === 'reset') {
        request.raw.socket.destroy();
        return reply;
      } else {
        const custom = def.sendFault?.(reply, action);
        if (custom) return custom;
        if (action.retryAfterSeconds !== undefined) reply.header('retry-after', String(action.retryAfterSeconds));
        return def.sendError(reply, action.status, action.code ?? defaultCode(action.status), action.message);
      }
    }
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const path = request.url.split('?')[0];
    if (path.startsWith('/__sandbox') || isInternalRequest(request)) return payload;
    requestLog.push({ seq: ++lastSeq, at: Date.now(), method: request.method, path, status: reply.statusCode });
    if (requestLog.length > 20_000) requestLog.splice(0, requestLog.length - 20_000);
    // The handler has run and its effects are committed; only the answer is late.
    const ms = slowResponses.get(request);
    if (ms) await new Promise((resolve) => setTimeout(resolve, ms));
    return payload;
  });

  app.get('/__sandbox/health', async () => ({ system: def.name, ok: true }));
  app.get('/__sandbox/faults', async () => ({ faults: faults.list() }));
  app.post('/__sandbox/faults', async (request, reply) => {
    const parsed = FaultRuleInput.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: 'invalid fault rule', issues: parsed.error.issues });
    return reply.code(201).send(faults.add(parsed.data));
  });
  app.delete('/__sandbox/faults', async () => {
    faults.clear();
    return { cleared: true };
  });
  app.delete<{ Params: { id: string } }>('/__sandbox/faults/:id', async (request, reply) =>
    faults.remove(request.params.id) ? { removed: request.params.id } : reply.code(404).send({ error: 'no such fault' }),
  );
  app.get('/__sandbox/ledger', async (request) => {
    const q = LedgerQuery.parse(request.query);
    const entries = store.ledger.filter(
      (e) => (!q.kind || e.kind === q.kind) && (!q.ref || e.ref === q.ref) && (!q.key || e.idempotencyKey === q.key) && (q.sinceSeq === undefined || e.seq > q.sinceSeq),
    );
    return { system: def.name, count: entries.length, entries };
  });
  app.get('/__sandbox/requests', async (request, reply) => {
    const q = RequestLogQuery.safeParse(request.query);
    if (!q.success) return reply.code(400).send({ error: 'since (epoch ms) and after (a seq) are non-negative integers', issues: q.error.issues });
    const { since = 0, after = 0 } = q.data;
    const entries = requestLog.filter((r) => r.at >= since && r.seq > after);
    return { system: def.name, last: lastSeq, count: entries.length, requests: entries };
  });
  app.post('/__sandbox/reset', async () => {
    faults.clear();
    requestLog.length = 0;
    store.reset();
    store.flush();
    return { system: def.name, reset: true };
  });
  app.get('/__sandbox/state', async () => store.data);

  await def.routes(app, ctx);

  const address = await app.listen({ port: opts.port ?? def.defaultPort, host: opts.host ?? '127.0.0.1' });
  const port = Number(new URL(address).port);
  url = `http://${opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1'}:${port}`;
  const stopBackground = def.background?.(ctx);

  return {
    name: def.name,
    url,
    port,
    ctx,
    app,
    close: async () => {
      stopBackground?.();
      await app.close();
      store.flush();
    },
  };
}

function defaultCode(status: number): string {
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'service_unavailable';
  if (status === 408 || status === 504) return 'timeout';
  return 'internal_error';
}
