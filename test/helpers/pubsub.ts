import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { salesforceSession } from './sandbox';

/**
 * A plain gRPC client of the Pub/Sub API, straight from Salesforce's proto (no product code), so
 * tests see the sandbox the way any Pub/Sub client would.
 */
const PROTO = join(dirname(require.resolve('salesforce-pubsub-api-client')), '..', 'pubsub_api.proto');

export type PubSubClient = grpc.Client & Record<string, (...args: never[]) => unknown>;

export function pubSubClient(address: string): PubSubClient {
  const definition = protoLoader.loadSync(PROTO, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const { PubSub } = (grpc.loadPackageDefinition(definition) as unknown as { eventbus: { v1: { PubSub: grpc.ServiceClientConstructor } } }).eventbus.v1;
  return new PubSub(address, grpc.credentials.createInsecure()) as unknown as PubSubClient;
}

/** A session on the sandbox org: token, instance URL and tenant id as gRPC metadata. */
export async function pubSubMetadata(instanceUrl: string): Promise<{ metadata: grpc.Metadata; token: string; orgId: string }> {
  const body = await salesforceSession(instanceUrl);
  const orgId = body.id.split('/').at(-2)!;
  const metadata = new grpc.Metadata();
  metadata.set('accesstoken', body.access_token);
  metadata.set('instanceurl', body.instance_url);
  metadata.set('tenantid', orgId);
  return { metadata, token: body.access_token, orgId };
}

export function unary<T>(client: PubSubClient, method: string, request: unknown, metadata: grpc.Metadata): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const fn = client[method] as unknown as (req: unknown, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res: T) => void) => void;
    fn.call(client, request, metadata, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

export interface FetchResponse {
  events: { event: { id: string; schema_id: string; payload: Buffer }; replay_id: Buffer }[];
  latest_replay_id: Buffer;
  pending_num_requested: number;
}

/** A Subscribe stream that collects every response and the final status. */
export function openSubscription(client: PubSubClient, metadata: grpc.Metadata) {
  const call = (client.Subscribe as unknown as (md: grpc.Metadata) => grpc.ClientDuplexStream<unknown, FetchResponse>).call(client, metadata);
  const responses: FetchResponse[] = [];
  const ended = new Promise<grpc.ServiceError | undefined>((resolve) => {
    call.on('data', (r: FetchResponse) => responses.push(r));
    call.on('error', (err: grpc.ServiceError) => resolve(err));
    call.on('end', () => resolve(undefined));
  });
  const events = () => responses.flatMap((r) => r.events);
  return {
    fetch: (request: Record<string, unknown>) => call.write(request),
    responses,
    events,
    ended,
    /** Waits until at least n events arrived (or fails after timeoutMs). */
    waitFor: async (n: number, timeoutMs = 5_000) => {
      const deadline = Date.now() + timeoutMs;
      while (events().length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} events, got ${events().length}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return events();
    },
    close: () => call.cancel(),
  };
}
