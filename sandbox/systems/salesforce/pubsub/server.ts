import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ORG_ID } from '../ids';
import type { Ctx } from '../respond';
import { decodeReplayId, encodeReplayId, eventBus, type StoredEvent } from './bus';
import { findTopic, topicBySchemaId, type TopicDef } from './topics';

/**
 * Salesforce's Pub/Sub API over gRPC (eventbus.v1.PubSub), from the proto Salesforce publishes:
 * GetTopic, GetSchema, Subscribe with FetchRequest flow control and replay presets, Publish.
 * Authentication is the metadata Salesforce reads (accesstoken, instanceurl, tenantid) against
 * the sessions the org's token endpoint issued; errors carry Salesforce's error-code trailer.
 */
const PROTO = join(dirname(require.resolve('salesforce-pubsub-api-client')), '..', 'pubsub_api.proto');
/** Salesforce answers at most 100 events per FetchRequest. */
const MAX_NUM_REQUESTED = 100;
const DEFAULT_KEEPALIVE_MS = 270_000;

interface FetchRequest {
  topic_name: string;
  replay_preset: 'LATEST' | 'EARLIEST' | 'CUSTOM';
  replay_id: Buffer;
  num_requested: number;
  auth_refresh: string;
}

class PubSubError extends Error {
  constructor(
    readonly code: grpc.status,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }

  toStatus(): Partial<grpc.StatusObject> {
    const rpcId = randomUUID();
    const metadata = new grpc.Metadata();
    metadata.set('error-code', this.errorCode);
    metadata.set('rpc-id', rpcId);
    return { code: this.code, details: `${this.message} rpcId: ${rpcId}`, metadata };
  }
}

const authError = () => new PubSubError(grpc.status.UNAUTHENTICATED, 'sfdc.platform.eventbus.grpc.service.auth.error', 'An authentication exception occurred. Provide valid authentication via metadata headers.');
const topicError = (name: string) => new PubSubError(grpc.status.NOT_FOUND, 'sfdc.platform.eventbus.grpc.topic.not.found', `Topic not found or not accessible: ${name || '(empty)'}`);

function authenticate(ctx: Ctx, metadata: grpc.Metadata): void {
  const value = (key: string) => String(metadata.get(key)[0] ?? '');
  const issued = ctx.store.data.tokens[value('accesstoken')];
  if (!issued || issued.expiresAt <= Date.now()) throw authError();
  if (value('tenantid') !== ORG_ID || value('instanceurl').replace(/\/$/, '') !== ctx.url()) throw authError();
}

function topicFor(name: string, access: 'subscribe' | 'publish'): TopicDef {
  const topic = findTopic(name);
  if (!topic) throw topicError(name);
  if (access === 'publish' && !topic.canPublish) {
    throw new PubSubError(grpc.status.PERMISSION_DENIED, 'sfdc.platform.eventbus.grpc.publish.not.allowed', `Publishing is not allowed on topic ${name}`);
  }
  return topic;
}

export interface PubSubServerOptions {
  host?: string;
  port?: number;
  /** How often a subscription with outstanding requests gets an empty keepalive batch (Salesforce: within 270 s). */
  keepaliveMs?: number;
}

export interface RunningPubSub {
  /** host:port, as PUBSUB_ENDPOINT takes it. */
  address: string;
  close: () => Promise<void>;
}

export async function startPubSubServer(ctx: Ctx, options: PubSubServerOptions = {}): Promise<RunningPubSub> {
  const definition = protoLoader.loadSync(PROTO, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const proto = grpc.loadPackageDefinition(definition) as unknown as { eventbus: { v1: { PubSub: grpc.ServiceClientConstructor } } };
  const bus = eventBus(ctx);
  const keepaliveMs = options.keepaliveMs ?? (Number(process.env.SANDBOX_PUBSUB_KEEPALIVE_MS) || DEFAULT_KEEPALIVE_MS);
  const streams = new Set<grpc.ServerDuplexStream<FetchRequest, unknown>>();

  const unary = <Req, Res>(handler: (request: Req) => Res) => (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => {
    try {
      authenticate(ctx, call.metadata);
      callback(null, handler(call.request));
    } catch (err) {
      if (err instanceof PubSubError) return callback(err.toStatus());
      callback({ code: grpc.status.INTERNAL, details: (err as Error).message });
    }
  };

  const service: grpc.UntypedServiceImplementation = {
    GetTopic: unary((request: { topic_name: string }) => {
      const topic = topicFor(request.topic_name, 'subscribe');
      return { topic_name: topic.name, tenant_guid: ORG_ID, can_publish: topic.canPublish, can_subscribe: true, schema_id: topic.schemaId, rpc_id: randomUUID() };
    }),
    GetSchema: unary((request: { schema_id: string }) => {
      const topic = topicBySchemaId(request.schema_id);
      if (!topic) throw new PubSubError(grpc.status.NOT_FOUND, 'sfdc.platform.eventbus.grpc.schema.not.found', `Schema not found: ${request.schema_id || '(empty)'}`);
      return { schema_json: JSON.stringify(topic.schema), schema_id: topic.schemaId, rpc_id: randomUUID() };
    }),
    Publish: unary((request: { topic_name: string; events: { id: string; schema_id: string; payload: Buffer }[] }) => {
      const topic = topicFor(request.topic_name, 'publish');
      if (!request.events.length) throw new PubSubError(grpc.status.INVALID_ARGUMENT, 'sfdc.platform.eventbus.grpc.publish.empty', 'A publish request needs at least one event');
      const results = request.events.map((event) => {
        const failed = (msg: string) => ({ replay_id: Buffer.alloc(0), error: { code: 'PUBLISH', msg }, correlation_key: event.id });
        if (event.schema_id !== topic.schemaId) return failed(`schema id ${event.schema_id || '(empty)'} is not the topic's schema ${topic.schemaId}`);
        let value: unknown;
        try {
          value = topic.type.fromBuffer(event.payload);
        } catch (err) {
          return failed(`payload does not match the schema of ${topic.name}: ${(err as Error).message}`);
        }
        const problems: string[] = [];
        if (!topic.type.isValid(value, { errorHook: (path) => problems.push(path.join('.')) })) return failed(`invalid fields: ${problems.join(', ')}`);
        const stored = bus.append(topic, event.payload, event.id || randomUUID());
        return { replay_id: encodeReplayId(topic.name, stored.seq), correlation_key: event.id };
      });
      return { results, schema_id: topic.schemaId, rpc_id: randomUUID() };
    }),
    Subscribe: (call: grpc.ServerDuplexStream<FetchRequest, unknown>) => subscribe(call),
    PublishStream: (call: grpc.ServerDuplexStream<unknown, unknown>) => call.emit('error', new PubSubError(grpc.status.UNIMPLEMENTED, 'sfdc.platform.eventbus.grpc.service.unimplemented', 'PublishStream is not offered by this org').toStatus()),
    ManagedSubscribe: (call: grpc.ServerDuplexStream<unknown, unknown>) => call.emit('error', new PubSubError(grpc.status.UNIMPLEMENTED, 'sfdc.platform.eventbus.grpc.service.unimplemented', 'Managed subscriptions are not offered by this org').toStatus()),
  };

  /** One subscription: the first FetchRequest fixes topic and start; every request adds to what may be sent. */
  function subscribe(call: grpc.ServerDuplexStream<FetchRequest, unknown>): void {
    streams.add(call);
    let topic: TopicDef | undefined;
    let position = 0;
    let pending = 0;
    let closed = false;
    let keepalive: NodeJS.Timeout | undefined;
    const rpcId = randomUUID();

    const end = (err?: PubSubError) => {
      if (closed) return;
      closed = true;
      clearInterval(keepalive);
      if (topic) bus.published.off(topic.name, deliver);
      streams.delete(call);
      // grpc-js sends a stream's status from an emitted error (destroy would only reset the stream).
      if (err) call.emit('error', err.toStatus());
      else call.end();
    };

    const send = (events: StoredEvent[]) => {
      const latest = events.at(-1)?.seq ?? bus.latestSeq(topic!.name);
      call.write({
        events: events.map((e) => ({ event: { id: e.id, schema_id: e.schemaId, payload: Buffer.from(e.payload, 'base64'), headers: [] }, replay_id: encodeReplayId(topic!.name, e.seq) })),
        latest_replay_id: encodeReplayId(topic!.name, latest),
        rpc_id: rpcId,
        pending_num_requested: pending,
      });
    };

    // Never more than the client asked for: each batch is capped by what is still requested.
    function deliver(): void {
      if (closed || !topic) return;
      while (pending > 0) {
        const batch = bus.after(topic.name, position, Math.min(pending, MAX_NUM_REQUESTED));
        if (!batch.length) return;
        position = batch.at(-1)!.seq;
        pending -= batch.length;
        send(batch);
      }
    }

    const start = (request: FetchRequest) => {
      topic = topicFor(request.topic_name, 'subscribe');
      const channel = bus.channel(topic.name);
      if (request.replay_preset === 'EARLIEST') position = channel.expiredThrough;
      else if (request.replay_preset === 'CUSTOM') {
        const seq = decodeReplayId(topic.name, Buffer.from(request.replay_id ?? []));
        if (seq === undefined) throw new PubSubError(grpc.status.INVALID_ARGUMENT, 'sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted', 'The Replay ID validation failed. Ensure that the Replay ID is valid.');
        // An id whose event left the 72-hour window (or never existed) cannot be resumed from.
        const known = channel.events.some((e) => e.seq === seq) || (seq === 0 && channel.expiredThrough === 0);
        if (!known) {
          throw new PubSubError(grpc.status.INVALID_ARGUMENT, 'sfdc.platform.eventbus.grpc.subscription.fetch.replayid.validation.failed', 'The Replay ID is not valid or is outside the retention window. Subscribe with EARLIEST or LATEST.');
        }
        position = seq;
      } else position = bus.latestSeq(topic.name);
      bus.published.on(topic.name, deliver);
      keepalive = setInterval(() => {
        if (!closed && pending > 0) send([]);
      }, keepaliveMs);
      keepalive.unref();
    };

    call.on('data', (request: FetchRequest) => {
      if (closed) return;
      try {
        authenticate(ctx, call.metadata);
        if (!topic) start(request);
        else if (request.topic_name && request.topic_name !== topic.name) {
          throw new PubSubError(grpc.status.INVALID_ARGUMENT, 'sfdc.platform.eventbus.grpc.subscription.topic.change', 'The topic of a subscription cannot change');
        }
        if (!Number.isInteger(request.num_requested) || request.num_requested < 1 || request.num_requested > MAX_NUM_REQUESTED) {
          throw new PubSubError(grpc.status.INVALID_ARGUMENT, 'sfdc.platform.eventbus.grpc.subscription.fetch.invalid.num.requested', `num_requested must be between 1 and ${MAX_NUM_REQUESTED}`);
        }
        pending += request.num_requested;
        deliver();
      } catch (err) {
        end(err instanceof PubSubError ? err : new PubSubError(grpc.status.INTERNAL, 'sfdc.platform.eventbus.grpc.service.unavailable', (err as Error).message));
      }
    });
    call.on('end', () => end());
    call.on('cancelled', () => end());
    call.on('error', () => end());
  }

  const server = new grpc.Server();
  server.addService(proto.eventbus.v1.PubSub.service, service);
  const host = options.host ?? '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${options.port ?? 4011}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  return {
    address: `${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const call of streams) call.end();
        const timer = setTimeout(() => server.forceShutdown(), 2_000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

