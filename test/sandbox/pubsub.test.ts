import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import avro from 'avsc';
import type { Sandbox } from '../../sandbox';
import { openSubscription, pubSubClient, pubSubMetadata, unary, type PubSubClient } from '../helpers/pubsub';
import { startTestSandbox } from '../helpers/sandbox';

type Json = Record<string, unknown>;
const CDC = '/data/CaseChangeEvent';
const REQUESTED = '/event/Resolution_Requested__e';
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const errorCode = (err: grpc.ServiceError | undefined) => String(err?.metadata.get('error-code')[0] ?? '');

describe('sandbox: Salesforce Pub/Sub API (gRPC)', function () {
  this.timeout(30_000);
  let sandbox: Sandbox;
  let url: string;
  let client: PubSubClient;
  let metadata: grpc.Metadata;
  let token: string;
  const schemas = new Map<string, avro.Type>();

  const rest = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}/services/data/v62.0${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Json };
  };
  const createCase = async (fields: Json) => (await rest('POST', '/sobjects/Case', fields)).body.id as string;
  const schemaOf = async (schemaId: string) => {
    if (!schemas.has(schemaId)) {
      const info = await unary<{ schema_json: string }>(client, 'GetSchema', { schema_id: schemaId }, metadata);
      schemas.set(schemaId, avro.Type.forSchema(JSON.parse(info.schema_json) as avro.Schema));
    }
    return schemas.get(schemaId)!;
  };
  const decode = async (e: { event: { schema_id: string; payload: Buffer } }) => (await schemaOf(e.event.schema_id)).fromBuffer(e.event.payload) as Json;
  const fieldNames = (type: avro.Type, bitmaps: string[]) => {
    const names = (type as avro.types.RecordType).fields.map((f) => f.name);
    return bitmaps.length ? names.filter((_, i) => (BigInt(bitmaps[0]) >> BigInt(i)) & 1n) : [];
  };

  before(async () => {
    sandbox = await startTestSandbox(['salesforce']);
    url = sandbox.urls.salesforce!;
    client = pubSubClient(sandbox.pubsub!.address);
    ({ metadata, token } = await pubSubMetadata(url));
  });
  after(async () => {
    client?.close();
    await sandbox?.close();
  });

  it('describes topics and their Avro schemas by schema id', async () => {
    const topic = await unary<Json>(client, 'GetTopic', { topic_name: CDC }, metadata);
    assert.equal(topic.topic_name, CDC);
    assert.equal(topic.can_subscribe, true);
    assert.equal(topic.can_publish, false);
    const schema = JSON.parse((await unary<{ schema_json: string }>(client, 'GetSchema', { schema_id: topic.schema_id }, metadata)).schema_json) as { name: string; fields: { name: string }[] };
    assert.equal(schema.name, 'CaseChangeEvent');
    assert.equal(schema.fields[0].name, 'ChangeEventHeader');
    const pe = await unary<Json>(client, 'GetTopic', { topic_name: REQUESTED }, metadata);
    assert.equal(pe.can_publish, true);
    assert.notEqual(pe.schema_id, topic.schema_id);
  });

  it('refuses calls without a valid session, with the auth error code', async () => {
    const err = await unary(client, 'GetTopic', { topic_name: CDC }, new grpc.Metadata()).catch((e: grpc.ServiceError) => e);
    assert.equal((err as grpc.ServiceError).code, grpc.status.UNAUTHENTICATED);
    assert.equal(errorCode(err as grpc.ServiceError), 'sfdc.platform.eventbus.grpc.service.auth.error');
    const wrongTenant = metadata.clone();
    wrongTenant.set('tenantid', '00D000000000000AAA');
    assert.equal(((await unary(client, 'GetTopic', { topic_name: CDC }, wrongTenant).catch((e: grpc.ServiceError) => e)) as grpc.ServiceError).code, grpc.status.UNAUTHENTICATED);

    const own = await pubSubMetadata(url);
    await fetch(`${url}/__sandbox/salesforce/expire-tokens`, { method: 'POST' });
    const expired = await unary(client, 'GetTopic', { topic_name: CDC }, own.metadata).catch((e: grpc.ServiceError) => e);
    assert.equal((expired as grpc.ServiceError).code, grpc.status.UNAUTHENTICATED);
    ({ metadata, token } = await pubSubMetadata(url));
  });

  it('answers an unknown topic with NOT_FOUND, on GetTopic and on Subscribe', async () => {
    const err = (await unary(client, 'GetTopic', { topic_name: '/event/Nope__e' }, metadata).catch((e: grpc.ServiceError) => e)) as grpc.ServiceError;
    assert.equal(err.code, grpc.status.NOT_FOUND);
    const sub = openSubscription(client, metadata);
    sub.fetch({ topic_name: '/data/NopeChangeEvent', replay_preset: 'LATEST', num_requested: 1 });
    assert.equal((await sub.ended)?.code, grpc.status.NOT_FOUND);
  });

  it('emits a CaseChangeEvent for each committed create and update, with the CDC header', async () => {
    const sub = openSubscription(client, metadata);
    sub.fetch({ topic_name: CDC, replay_preset: 'LATEST', num_requested: 10 });
    await pause(100);
    const id = await createCase({ Subject: 'Broken lamp', Status: 'New', Reason: 'Damaged Item', Origin: 'Web' });
    assert.equal((await rest('PATCH', `/sobjects/Case/${id}`, { Status: 'Working' })).status, 204);
    // A rejected write commits nothing, so it publishes nothing.
    assert.equal((await rest('PATCH', `/sobjects/Case/${id}`, { NoSuchField__c: 1 })).status, 400);
    const [created, updated] = await sub.waitFor(2);
    await pause(200);
    assert.equal(sub.events().length, 2);
    const type = await schemaOf(created.event.schema_id);
    const c = await decode(created);
    const header = c.ChangeEventHeader as Json;
    assert.equal(header.entityName, 'Case');
    assert.deepEqual(header.recordIds, [id]);
    assert.equal(header.changeType, 'CREATE');
    assert.equal(typeof header.commitTimestamp, 'number');
    assert.match(String(header.commitUser), /^005/);
    assert.equal(c.Subject, 'Broken lamp');
    assert.match(String(c.CaseNumber), /^\d{8}$/);
    const u = await decode(updated);
    const uh = u.ChangeEventHeader as Json;
    assert.equal(uh.changeType, 'UPDATE');
    assert.deepEqual(fieldNames(type, uh.changedFields as string[]).sort(), ['ClosedDate', 'IsClosed', 'LastModifiedDate', 'Status']);
    assert.deepEqual(fieldNames(type, uh.nulledFields as string[]), ['ClosedDate']);
    assert.equal(u.Status, 'Working');
    assert.equal(u.CaseNumber, null, 'an update carries only what changed');
    assert.notEqual(header.transactionKey, uh.transactionKey);
    sub.close();
  });

  it('never sends more events than requested, and more after each FetchRequest', async () => {
    const before = openSubscription(client, metadata);
    before.fetch({ topic_name: CDC, replay_preset: 'LATEST', num_requested: 1 });
    await pause(100);
    for (let i = 0; i < 5; i++) await createCase({ Subject: `Flow ${i}`, Status: 'New' });
    const [anchor] = await before.waitFor(1);
    before.close();

    // Start right after the first of the five: four remain.
    const sub = openSubscription(client, metadata);
    sub.fetch({ topic_name: CDC, replay_preset: 'CUSTOM', replay_id: anchor.replay_id, num_requested: 2 });
    await sub.waitFor(2);
    await pause(300);
    assert.equal(sub.events().length, 2, 'no event beyond num_requested');
    assert.equal(sub.responses.at(-1)!.pending_num_requested, 0);
    sub.fetch({ num_requested: 5 });
    await sub.waitFor(4);
    await pause(300);
    assert.equal(sub.events().length, 4);
    assert.equal(sub.responses.at(-1)!.pending_num_requested, 3, 'what was asked for and not yet sent');
    const subjects = await Promise.all(sub.events().map(async (e) => (await decode(e)).Subject));
    assert.deepEqual(subjects, ['Flow 1', 'Flow 2', 'Flow 3', 'Flow 4']);
    // Replay ids are opaque bytes, distinct per event.
    const ids = sub.events().map((e) => e.replay_id.toString('hex'));
    assert.equal(new Set(ids).size, 4);
    assert.ok(sub.events().every((e) => e.replay_id.length === 16));
    sub.close();

    const bad = openSubscription(client, metadata);
    bad.fetch({ topic_name: CDC, replay_preset: 'LATEST', num_requested: 101 });
    assert.equal((await bad.ended)?.code, grpc.status.INVALID_ARGUMENT);
  });

  it('replays from EARLIEST, and refuses corrupt or expired replay ids', async () => {
    const earliest = openSubscription(client, metadata);
    earliest.fetch({ topic_name: CDC, replay_preset: 'EARLIEST', num_requested: 100 });
    const all = await earliest.waitFor(7);
    earliest.close();
    const first = await decode(all[0]);
    assert.equal(first.Subject, 'Broken lamp');

    const tampered = Buffer.from(all[0].replay_id);
    tampered[3] ^= 0xff;
    const corrupt = openSubscription(client, metadata);
    corrupt.fetch({ topic_name: CDC, replay_preset: 'CUSTOM', replay_id: tampered, num_requested: 1 });
    const err = await corrupt.ended;
    assert.equal(err?.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(errorCode(err), 'sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted');

    // Another topic's replay id is not one of this topic's.
    const foreign = openSubscription(client, metadata);
    foreign.fetch({ topic_name: REQUESTED, replay_preset: 'CUSTOM', replay_id: all[0].replay_id, num_requested: 1 });
    assert.equal(errorCode(await foreign.ended), 'sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted');

    const expire = await fetch(`${url}/__sandbox/pubsub/expire`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ topic: CDC }) });
    assert.equal(((await expire.json()) as Json).expired, all.length);
    const gone = openSubscription(client, metadata);
    gone.fetch({ topic_name: CDC, replay_preset: 'CUSTOM', replay_id: all.at(-1)!.replay_id, num_requested: 1 });
    const expired = await gone.ended;
    assert.equal(expired?.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(errorCode(expired), 'sfdc.platform.eventbus.grpc.subscription.fetch.replayid.validation.failed');
    const empty = openSubscription(client, metadata);
    empty.fetch({ topic_name: CDC, replay_preset: 'EARLIEST', num_requested: 10 });
    await pause(300);
    assert.equal(empty.events().length, 0, 'expired events are gone for every subscriber');
    empty.close();
  });

  it('publishes Platform Events validated against the topic schema', async () => {
    const topic = await unary<{ schema_id: string }>(client, 'GetTopic', { topic_name: REQUESTED }, metadata);
    const type = await schemaOf(topic.schema_id);
    const sub = openSubscription(client, metadata);
    sub.fetch({ topic_name: REQUESTED, replay_preset: 'LATEST', num_requested: 5 });
    await pause(100);
    const payload = type.toBuffer({ CreatedDate: Date.now(), CreatedById: '005000000000001AAA', CaseNumber__c: '00001001', Requested_By__c: 'agent.smith' });
    const ok = await unary<{ results: { replay_id: Buffer; error: Json | null; correlation_key: string }[] }>(client, 'Publish', { topic_name: REQUESTED, events: [{ id: 'evt-1', schema_id: topic.schema_id, payload }] }, metadata);
    assert.equal(ok.results[0].error, null);
    assert.equal(ok.results[0].correlation_key, 'evt-1');
    const [received] = await sub.waitFor(1);
    assert.ok(received.replay_id.equals(ok.results[0].replay_id));
    assert.equal((await decode(received)).CaseNumber__c, '00001001');
    sub.close();

    // Another topic's schema, a payload of another shape, a missing required field: each refused, nothing stored.
    const other = await unary<{ schema_id: string }>(client, 'GetTopic', { topic_name: '/event/Case_Process_Status__e' }, metadata);
    const wrongShape = avro.Type.forSchema({ type: 'record', name: 'X', fields: [{ name: 'CreatedDate', type: 'long' }] }).toBuffer({ CreatedDate: 1 });
    const refused = await unary<{ results: { error: { code: string; msg: string } | null }[] }>(client, 'Publish', {
      topic_name: REQUESTED,
      events: [
        { id: 'evt-2', schema_id: other.schema_id, payload },
        { id: 'evt-3', schema_id: topic.schema_id, payload: wrongShape },
      ],
    }, metadata);
    assert.deepEqual(refused.results.map((r) => r.error?.code), ['PUBLISH', 'PUBLISH']);
    const stored = (await (await fetch(`${url}/__sandbox/pubsub/events?topic=${encodeURIComponent(REQUESTED)}`)).json()) as { count: number; events: { id: string; payload: Json }[] };
    assert.equal(stored.count, 1);
    assert.equal(stored.events[0].payload.Requested_By__c, 'agent.smith');

    const cdc = (await unary(client, 'Publish', { topic_name: CDC, events: [{ id: 'x', schema_id: topic.schema_id, payload }] }, metadata).catch((e: grpc.ServiceError) => e)) as grpc.ServiceError;
    assert.equal(cdc.code, grpc.status.PERMISSION_DENIED, 'change events are published by Salesforce only');
  });
});
