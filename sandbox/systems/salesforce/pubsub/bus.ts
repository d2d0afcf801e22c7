import { createCipheriv, createDecipheriv, createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { INTEGRATION_USER_ID, ORG_ID } from '../ids';
import type { Effect } from '../records';
import type { Ctx } from '../respond';
import type { SfRecord } from '../state';
import { ACCOUNT_CHANGE_FIELDS, CASE_CHANGE_FIELDS, CONTACT_CHANGE_FIELDS, TOPICS, fieldBitmap, findTopic, type ChangeFieldType, type TopicDef } from './topics';

/** How long the bus keeps an event (Salesforce: 72 hours for high-volume Platform Events and change events). */
export const RETENTION_MS = 72 * 60 * 60 * 1000;

export interface StoredEvent {
  seq: number;
  id: string;
  schemaId: string;
  /** Avro binary, base64. */
  payload: string;
  publishedAt: number;
}

export interface EventBusState {
  seq: number;
  topics: Record<string, { events: StoredEvent[]; expiredThrough: number }>;
}

// Replay ids are opaque: the sequence and the topic's tag, AES-encrypted with the org's key.
const replayKey = createHash('sha256').update(`replay-id:${ORG_ID}`).digest().subarray(0, 16);
const topicTag = (topic: string) => createHash('sha256').update(topic).digest().subarray(0, 8);

export function encodeReplayId(topic: string, seq: number): Buffer {
  const block = Buffer.alloc(16);
  block.writeBigUInt64BE(BigInt(seq), 0);
  topicTag(topic).copy(block, 8);
  const cipher = createCipheriv('aes-128-ecb', replayKey, null).setAutoPadding(false);
  return Buffer.concat([cipher.update(block), cipher.final()]);
}

/** The sequence behind a replay id of this topic, or undefined when the bytes are not one. */
export function decodeReplayId(topic: string, replayId: Buffer): number | undefined {
  if (replayId.length !== 16) return undefined;
  const decipher = createDecipheriv('aes-128-ecb', replayKey, null).setAutoPadding(false);
  const block = Buffer.concat([decipher.update(replayId), decipher.final()]);
  if (!block.subarray(8).equals(topicTag(topic))) return undefined;
  return Number(block.readBigUInt64BE(0));
}

/** The org's event bus: retained events per topic, and a signal for live subscribers when one is added. */
export class EventBus {
  readonly published = new EventEmitter();

  constructor(private readonly ctx: Ctx) {
    this.published.setMaxListeners(0);
  }

  private get state(): EventBusState {
    const data = this.ctx.store.data as { eventBus?: EventBusState };
    return (data.eventBus ??= { seq: 0, topics: {} });
  }

  channel(topic: string): { events: StoredEvent[]; expiredThrough: number } {
    const channel = (this.state.topics[topic] ??= { events: [], expiredThrough: 0 });
    // Retention: events older than 72 hours are gone for every subscriber.
    const cutoff = Date.now() - RETENTION_MS;
    const kept = channel.events.findIndex((e) => e.publishedAt >= cutoff);
    const dropped = kept === -1 ? channel.events.length : kept;
    if (dropped > 0) {
      channel.expiredThrough = channel.events[dropped - 1].seq;
      channel.events.splice(0, dropped);
      this.ctx.store.changed();
    }
    return channel;
  }

  append(topic: TopicDef, payload: Buffer, id: string = randomUUID()): StoredEvent {
    const event: StoredEvent = { seq: ++this.state.seq, id, schemaId: topic.schemaId, payload: payload.toString('base64'), publishedAt: Date.now() };
    this.channel(topic.name).events.push(event);
    this.ctx.store.changed();
    setImmediate(() => this.published.emit(topic.name));
    return event;
  }

  /** The replay id of the newest event (or of the position before any event). */
  latestSeq(topic: string): number {
    const channel = this.channel(topic);
    return channel.events.at(-1)?.seq ?? channel.expiredThrough;
  }

  after(topic: string, seq: number, max: number): StoredEvent[] {
    return this.channel(topic).events.filter((e) => e.seq > seq).slice(0, max);
  }

  /** Drops retained events as if their 72 hours had passed (all of them unless a cut-off is given). */
  expire(topic: string | undefined, olderThanMs = 0): number {
    let count = 0;
    for (const name of topic ? [topic] : TOPICS.map((t) => t.name)) {
      const channel = this.channel(name);
      const cutoff = Date.now() - olderThanMs;
      const gone = channel.events.filter((e) => e.publishedAt <= cutoff);
      if (!gone.length) continue;
      channel.expiredThrough = gone.at(-1)!.seq;
      channel.events.splice(0, gone.length);
      count += gone.length;
    }
    this.ctx.store.changed();
    return count;
  }
}

const buses = new WeakMap<Ctx, EventBus>();
export const eventBus = (ctx: Ctx): EventBus => {
  let bus = buses.get(ctx);
  if (!bus) buses.set(ctx, (bus = new EventBus(ctx)));
  return bus;
};

const toAvro = (type: ChangeFieldType, value: SfRecord[string] | undefined): string | number | boolean | null => {
  if (value === null || value === undefined) return null;
  if (type === 'long') return Date.parse(String(value).replace(/\+0000$/, 'Z'));
  if (type === 'boolean') return Boolean(value);
  if (type === 'double') return Number(value);
  return String(value);
};

/** The objects Change Data Capture is enabled for, with their channel and the fields their events carry. */
const CAPTURED: Record<string, { topic: string; fields: { name: string; type: ChangeFieldType }[] }> = {
  Case: { topic: '/data/CaseChangeEvent', fields: CASE_CHANGE_FIELDS },
  Account: { topic: '/data/AccountChangeEvent', fields: ACCOUNT_CHANGE_FIELDS },
  Contact: { topic: '/data/ContactChangeEvent', fields: CONTACT_CHANGE_FIELDS },
};

/** The org's last commit number: Salesforce's commit numbers only ever increase. */
let lastCommitNumber = 0;

/**
 * Change Data Capture: one change event per committed Case, Account or Contact change, in commit
 * order, on the object's channel. A create carries every non-null field; an update the fields it
 * set (changedFields) and the modification stamp; a delete only the header. One call's changes
 * share a transaction key and a commit number.
 */
export function publishChangeEvents(ctx: Ctx, effects: Effect[]): void {
  const captured = effects.filter((e) => /^(Case|Account|Contact)\.(created|updated|deleted)$/.test(e.kind));
  if (!captured.length) return;
  const bus = eventBus(ctx);
  const transactionKey = randomUUID().replace(/-/g, '').slice(0, 28);
  const commitTimestamp = Date.now();
  const commitNumber = (lastCommitNumber = Math.max(commitTimestamp * 1000, lastCommitNumber + 1));
  captured.forEach((effect, sequenceNumber) => {
    const [entityName, action] = effect.kind.split('.');
    const { topic: topicName, fields } = CAPTURED[entityName];
    const topic = findTopic(topicName)!;
    const changeType = action === 'created' ? 'CREATE' : action === 'updated' ? 'UPDATE' : 'DELETE';
    const record: SfRecord = (ctx.store.data.records[entityName] ?? {})[effect.ref] ?? {};
    const body: Record<string, string | number | boolean | null> = Object.fromEntries(fields.map((f) => [f.name, null]));
    let changed: string[] = [];
    if (changeType === 'CREATE') {
      for (const f of fields) body[f.name] = toAvro(f.type, f.name.endsWith('ById') ? INTEGRATION_USER_ID : record[f.name]);
    } else if (changeType === 'UPDATE') {
      changed = [...Object.keys(effect.data ?? {}).filter((name) => fields.some((f) => f.name === name)), 'LastModifiedDate'];
      // Salesforce derives these on save; a change event carries them when they moved.
      if (entityName === 'Case' && changed.includes('Status')) changed.push('IsClosed', 'ClosedDate');
      for (const f of fields.filter((field) => changed.includes(field.name))) body[f.name] = toAvro(f.type, record[f.name]);
    }
    const nulled = changed.filter((name) => body[name] === null);
    const payload = topic.type.toBuffer({
      ChangeEventHeader: {
        entityName,
        recordIds: [effect.ref],
        changeType,
        changeOrigin: 'com/salesforce/api/rest/62.0',
        transactionKey,
        sequenceNumber: sequenceNumber + 1,
        commitTimestamp,
        commitNumber,
        commitUser: INTEGRATION_USER_ID,
        nulledFields: fieldBitmap(topic, nulled),
        diffFields: [],
        changedFields: fieldBitmap(topic, changed),
      },
      ...body,
    });
    bus.append(topic, payload);
  });
}

const ExpireInput = z.object({ topic: z.string().optional(), olderThanMs: z.number().int().min(0).optional() });
const EventsQuery = z.object({ topic: z.string() });

/** Test hooks: expire retained events (the gap path) and read what was published, decoded. */
export function registerPubSubAdmin(app: FastifyInstance, ctx: Ctx): void {
  app.post('/__sandbox/pubsub/expire', async (request, reply) => {
    const parsed = ExpireInput.safeParse(request.body ?? {});
    if (!parsed.success) return reply.code(400).send({ error: 'invalid expire request', issues: parsed.error.issues });
    if (parsed.data.topic && !findTopic(parsed.data.topic)) return reply.code(404).send({ error: `unknown topic ${parsed.data.topic}` });
    return { expired: eventBus(ctx).expire(parsed.data.topic, parsed.data.olderThanMs) };
  });
  app.get('/__sandbox/pubsub/events', async (request, reply) => {
    const parsed = EventsQuery.safeParse(request.query);
    const topic = parsed.success ? findTopic(parsed.data.topic) : undefined;
    if (!topic) return reply.code(404).send({ error: `unknown topic ${parsed.success ? parsed.data.topic : '(none)'}` });
    const events = eventBus(ctx).channel(topic.name).events.map((e) => ({
      id: e.id,
      replayId: encodeReplayId(topic.name, e.seq).toString('base64'),
      schemaId: e.schemaId,
      publishedAt: new Date(e.publishedAt).toISOString(),
      payload: topic.type.fromBuffer(Buffer.from(e.payload, 'base64')) as unknown,
    }));
    return { topic: topic.name, count: events.length, events };
  });
}
