import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SystemContext } from '../../core/system';
import { SF_JSON, SfError } from './errors';
import { publishChangeEvents } from './pubsub/bus';
import { Org, type Effect } from './records';
import type { SalesforceState } from './state';

export type Ctx = SystemContext<SalesforceState>;
export interface Outcome {
  status: number;
  body: unknown;
}

/** A read: SfError becomes Salesforce's error array with its status. */
export async function read(reply: FastifyReply, handler: () => Outcome | Promise<Outcome>): Promise<FastifyReply> {
  try {
    const outcome = await handler();
    return reply.code(outcome.status).send(outcome.body);
  } catch (err) {
    if (err instanceof SfError) return reply.code(err.status).header('content-type', SF_JSON).send(err.body);
    throw err;
  }
}

/**
 * A write: runs once per Idempotency-Key when the caller sends one (Salesforce clients rarely
 * do; upserts by external id are the natural idempotency), records its effects in the ledger
 * only when it succeeds, and answers errors in Salesforce's dialect.
 */
export async function write(ctx: Ctx, request: FastifyRequest, reply: FastifyReply, handler: (org: Org, effects: Effect[]) => Outcome): Promise<FastifyReply> {
  return ctx.idempotent(request, reply, () => {
    const effects: Effect[] = [];
    try {
      const outcome = handler(new Org(ctx.store.data), effects);
      commit(ctx, request, effects);
      return outcome;
    } catch (err) {
      if (err instanceof SfError) return { status: err.status, body: err.body };
      throw err;
    }
  });
}

export function commit(ctx: Ctx, request: FastifyRequest | undefined, effects: Effect[]): void {
  const headerKey = request?.headers['idempotency-key'] as string | undefined;
  for (const effect of effects) ctx.record({ ...effect, idempotencyKey: effect.idempotencyKey ?? headerKey });
  // Change Data Capture sees committed changes only, once per commit.
  publishChangeEvents(ctx, effects);
  ctx.store.changed();
}

/** Everything a DML batch can change, so allOrNone can put it back. */
export function snapshot(state: SalesforceState): () => void {
  const saved = structuredClone({ records: state.records, counters: state.counters, autoNumbers: state.autoNumbers });
  return () => {
    state.records = saved.records;
    state.counters = saved.counters;
    state.autoNumbers = saved.autoNumbers;
  };
}
