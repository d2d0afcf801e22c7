import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SystemContext } from '../../core/system';
import { sessionUser } from './auth';
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
 * A write: Salesforce REST has no Idempotency-Key, so a repeated request is applied again (only
 * upserts by external id are naturally idempotent). Effects reach the ledger only when the
 * operation succeeds; errors are answered in Salesforce's dialect.
 */
export async function write(ctx: Ctx, request: FastifyRequest, reply: FastifyReply, handler: (org: Org, effects: Effect[]) => Outcome): Promise<FastifyReply> {
  const effects: Effect[] = [];
  try {
    const outcome = handler(new Org(ctx.store.data, sessionUser(ctx, request)), effects);
    commit(ctx, effects);
    return reply.code(outcome.status).send(outcome.body);
  } catch (err) {
    if (err instanceof SfError) return reply.code(err.status).header('content-type', SF_JSON).send(err.body);
    throw err;
  }
}

/** Per org, the effects of the transaction under way (see `transaction`). */
const openTransactions = new WeakMap<Ctx, Effect[]>();

/**
 * The one place where committed record changes become visible (ledger, state file): every REST,
 * collection and Bulk write ends here, so a change-event feed can hook in at this point.
 */
export function commit(ctx: Ctx, effects: Effect[]): void {
  // Inside a transaction nothing is visible until it ends (see `transaction`).
  const held = openTransactions.get(ctx);
  if (held) return void held.push(...effects);
  for (const effect of effects) ctx.record(effect);
  // Change Data Capture sees committed changes only, once per commit.
  publishChangeEvents(ctx, effects);
  ctx.store.changed();
}

/** Everything a DML batch can change, so allOrNone can put it back. */
export function snapshot(state: SalesforceState): () => void {
  const saved = structuredClone({ records: state.records, counters: state.counters, autoNumbers: state.autoNumbers, recycleBin: state.recycleBin });
  return () => {
    state.records = saved.records;
    state.counters = saved.counters;
    state.autoNumbers = saved.autoNumbers;
    state.recycleBin = saved.recycleBin;
  };
}

/**
 * Runs `work` as one transaction (a composite with allOrNone): the commits inside it are held and
 * reach the ledger and the change-event feed as one commit when it returns true; when it returns
 * false or throws, the records are put back and the held effects dropped, so nothing of it shows.
 * The caller keeps other requests out while it runs (their writes would be held and put back too).
 */
export async function transaction(ctx: Ctx, work: () => Promise<boolean>): Promise<boolean> {
  const restore = snapshot(ctx.store.data);
  const held: Effect[] = [];
  openTransactions.set(ctx, held);
  let keep = false;
  try {
    keep = await work();
    return keep;
  } finally {
    openTransactions.delete(ctx);
    if (keep) commit(ctx, held);
    else {
      restore();
      ctx.store.changed();
    }
  }
}
