import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import avro from 'avsc';
import { NonRetryableDownstreamError, RetryableDownstreamError, type DownstreamError } from '../../domain/errors';
import { pubSubClientClass } from './proto';
import { ChangeEventHeaderSchema, FetchResponseSchema, PublishResponseSchema, SchemaInfoSchema, TopicInfoSchema, type ChangeEventHeader } from './wire';

const SYSTEM = 'salesforce' as const;

/** The session the Pub/Sub API authenticates with: the same OAuth session the REST connector holds. */
export interface PubSubSession {
  accessToken: string;
  instanceUrl: string;
  organizationId: string;
  userId: string;
}

export interface PubSubConnectorOptions {
  /** host:port of the Pub/Sub API (api.pubsub.salesforce.com:7443 in production). */
  endpoint: string;
  tls: boolean;
  /** The current session; `renew` asks for a fresh one after the API answered UNAUTHENTICATED. */
  session: (renew: boolean) => Promise<PubSubSession>;
  timeoutMs: number;
}

export type ReplayStart = { preset: 'LATEST' } | { preset: 'EARLIEST' } | { preset: 'CUSTOM'; replayId: Buffer };

/** One decoded event: its payload as a plain object, CDC bitmaps already turned into field names. */
export interface ReceivedEvent {
  id: string;
  replayId: Buffer;
  payload: Record<string, unknown>;
  changeHeader?: ChangeEventHeader;
}

export interface Subscription {
  /** Asks for up to n more events (flow control: the server never sends more than requested). */
  request: (n: number) => void;
  close: () => void;
  /** Settles when the stream ends: resolved on close, rejected with the classified failure otherwise. */
  done: Promise<void>;
}

/** A replay id the server refused (corrupt, or its event left the retention window): resume elsewhere. */
export const isReplayRejected = (err: unknown): boolean => err instanceof NonRetryableDownstreamError && !!err.code?.includes('replayid');

/**
 * Salesforce's Pub/Sub API (gRPC): topics, schemas, Avro-decoded subscriptions with flow control
 * and replay ids, and publishing Platform Events. No Temporal here; failures are classified as
 * the REST connector's are (UNAVAILABLE/DEADLINE/RESOURCE_EXHAUSTED retryable, the rest not).
 */
export class PubSubConnector {
  private readonly client: grpc.Client & Record<string, (...args: unknown[]) => unknown>;
  private readonly schemas = new Map<string, avro.Type>();
  private readonly topics = new Map<string, string>();
  /** Set when a stream ended UNAUTHENTICATED: the next call renews the session first. */
  private sessionStale = false;

  constructor(private readonly options: PubSubConnectorOptions) {
    const Client = pubSubClientClass();
    const credentials = options.tls ? grpc.credentials.createSsl() : grpc.credentials.createInsecure();
    this.client = new Client(options.endpoint, credentials) as grpc.Client & Record<string, (...args: unknown[]) => unknown>;
  }

  async schemaIdOf(topicName: string): Promise<string> {
    const known = this.topics.get(topicName);
    if (known) return known;
    const info = TopicInfoSchema.parse(await this.unary('GetTopic', { topic_name: topicName }));
    this.topics.set(topicName, info.schema_id);
    return info.schema_id;
  }

  async schema(schemaId: string): Promise<avro.Type> {
    const known = this.schemas.get(schemaId);
    if (known) return known;
    const info = SchemaInfoSchema.parse(await this.unary('GetSchema', { schema_id: schemaId }));
    const type = avro.Type.forSchema(JSON.parse(info.schema_json) as avro.Schema);
    this.schemas.set(schemaId, type);
    return type;
  }

  /**
   * Publishes one Platform Event. The event id is derived from `key`, so a retried publish carries
   * the same id downstream; the bus itself is at-least-once (a retry after a lost answer publishes again).
   */
  async publish(topicName: string, fields: Record<string, string | null>, key: string): Promise<{ replayId: string }> {
    const schemaId = await this.schemaIdOf(topicName);
    const type = await this.schema(schemaId);
    const session = await this.options.session(false);
    const value = { CreatedDate: Date.now(), CreatedById: session.userId, ...fields };
    if (!type.isValid(value)) throw this.failure('publish', 'INVALID_EVENT', `the event does not match the schema of ${topicName}`, false);
    const id = createHash('sha256').update(key).digest('hex').slice(0, 32);
    const response = PublishResponseSchema.parse(await this.unary('Publish', { topic_name: topicName, events: [{ id, schema_id: schemaId, payload: type.toBuffer(value), headers: [] }] }));
    const result = response.results[0];
    if (!result || result.error) throw this.failure('publish', 'PUBLISH_FAILED', result?.error?.msg ?? 'no publish result', false);
    return { replayId: result.replay_id.toString('base64') };
  }

  /**
   * Subscribes from `start`; each FetchResponse's events are decoded and handed to `onBatch` in
   * order. Nothing is requested here beyond the first `initial` events: the caller asks for more
   * (request) once it has handled what it got.
   */
  async subscribe(topicName: string, start: ReplayStart, initial: number, onBatch: (events: ReceivedEvent[], latestReplayId: Buffer) => void): Promise<Subscription> {
    const metadata = await this.metadata(false);
    const call = (this.client.Subscribe as (m: grpc.Metadata) => grpc.ClientDuplexStream<unknown, unknown>).call(this.client, metadata);
    let decoding = Promise.resolve();
    const done = new Promise<void>((resolve, reject) => {
      call.on('data', (raw: unknown) => {
        // Decoding needs the schema (one GetSchema per schema id), so batches are chained to keep their order.
        decoding = decoding.then(async () => {
          const response = FetchResponseSchema.parse(raw);
          const events = await Promise.all(response.events.map((e) => this.decode(e.event.schema_id, e.event.id, e.replay_id, e.event.payload)));
          onBatch(events, response.latest_replay_id);
        }).catch((err: unknown) => {
          reject(err);
          call.cancel();
        });
      });
      call.on('error', (err: grpc.ServiceError) => {
        if (err.code === grpc.status.UNAUTHENTICATED) this.sessionStale = true;
        if (err.code === grpc.status.CANCELLED) resolve();
        else reject(this.classify('subscribe', err));
      });
      call.on('end', () => resolve());
    });
    done.catch(() => undefined);
    const first = start.preset === 'CUSTOM' ? { topic_name: topicName, replay_preset: 'CUSTOM', replay_id: start.replayId, num_requested: initial } : { topic_name: topicName, replay_preset: start.preset, num_requested: initial };
    call.write(first);
    return {
      request: (n) => {
        if (!call.writableEnded) call.write({ topic_name: topicName, num_requested: n });
      },
      close: () => call.cancel(),
      done,
    };
  }

  shutdown(): void {
    this.client.close();
  }

  private async decode(schemaId: string, id: string, replayId: Buffer, payload: Buffer): Promise<ReceivedEvent> {
    const type = (await this.schema(schemaId)) as avro.types.RecordType;
    const value = type.fromBuffer(payload) as Record<string, unknown>;
    const header = value.ChangeEventHeader as Record<string, unknown> | undefined;
    if (!header) return { id, replayId, payload: { ...value } };
    const names = type.fields.map((f) => f.name);
    const fieldNames = (bitmaps: unknown) => fromBitmaps(names, bitmaps as string[]);
    const changeHeader = ChangeEventHeaderSchema.parse({ ...header, changedFields: fieldNames(header.changedFields), nulledFields: fieldNames(header.nulledFields) });
    return { id, replayId, payload: { ...value }, changeHeader };
  }

  private async metadata(renew: boolean): Promise<grpc.Metadata> {
    const session = await this.options.session(renew || this.sessionStale);
    this.sessionStale = false;
    const metadata = new grpc.Metadata();
    metadata.set('accesstoken', session.accessToken);
    metadata.set('instanceurl', session.instanceUrl);
    metadata.set('tenantid', session.organizationId);
    return metadata;
  }

  /** One unary call; an UNAUTHENTICATED answer renews the session once and tries again. */
  private async unary(method: string, request: unknown, renew = false): Promise<unknown> {
    const metadata = await this.metadata(renew);
    try {
      return await new Promise<unknown>((resolve, reject) => {
        const fn = this.client[method] as (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void;
        fn.call(this.client, request, metadata, { deadline: Date.now() + this.options.timeoutMs }, (err, res) => (err ? reject(err) : resolve(res)));
      });
    } catch (err) {
      const status = (err as grpc.ServiceError).code;
      // An expired session: renew it once, as jsforce does for REST.
      if (status === grpc.status.UNAUTHENTICATED && !renew) return this.unary(method, request, true);
      throw this.classify(method, err as grpc.ServiceError);
    }
  }

  /** A gRPC status → the product's downstream failure, keeping Salesforce's error-code trailer as the code. */
  classify(operation: string, err: grpc.ServiceError): DownstreamError {
    const code = String(err.metadata?.get('error-code')[0] ?? grpc.status[err.code] ?? 'UNKNOWN');
    if (err.code === grpc.status.UNAUTHENTICATED || err.code === grpc.status.PERMISSION_DENIED) return new NonRetryableDownstreamError('AuthorizationError', this.detail(operation, code, err.details));
    if (err.code === grpc.status.NOT_FOUND) return new NonRetryableDownstreamError('NotFoundError', this.detail(operation, code, err.details));
    if (err.code === grpc.status.DEADLINE_EXCEEDED) return new RetryableDownstreamError('TimeoutError', this.detail(operation, code, err.details));
    if ([grpc.status.UNAVAILABLE, grpc.status.RESOURCE_EXHAUSTED, grpc.status.INTERNAL, grpc.status.UNKNOWN, grpc.status.ABORTED].includes(err.code)) {
      return new RetryableDownstreamError('DownstreamUnavailableError', this.detail(operation, code, err.details || err.message));
    }
    return this.failure(operation, code, err.details || err.message, false);
  }

  private detail(operation: string, code: string, message: string) {
    return { system: SYSTEM, operation: `pubsub.${operation}`, code, message };
  }

  private failure(operation: string, code: string, message: string, retryable: boolean): DownstreamError {
    const detail = this.detail(operation, code, message);
    return retryable ? new RetryableDownstreamError('DownstreamUnavailableError', detail) : new NonRetryableDownstreamError('ValidationError', detail);
  }
}

/** Salesforce's field bitmaps ("0x…" hex, bit i = the schema's i-th field) → field names. */
export function fromBitmaps(fields: string[], bitmaps: string[]): string[] {
  const top = bitmaps.find((b) => b.startsWith('0x'));
  if (!top) return [];
  const bits = BigInt(top);
  return fields.filter((_, i) => (bits >> BigInt(i)) & 1n);
}
