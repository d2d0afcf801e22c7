import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** pubsub_api.proto as Salesforce publishes it, read from the npm package that ships it (never copied here). */
const PROTO = join(dirname(require.resolve('salesforce-pubsub-api-client')), '..', 'pubsub_api.proto');

let client: grpc.ServiceClientConstructor | undefined;

/** The generated eventbus.v1.PubSub client class, loaded once. */
export function pubSubClientClass(): grpc.ServiceClientConstructor {
  if (client) return client;
  const definition = protoLoader.loadSync(PROTO, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as { eventbus: { v1: { PubSub: grpc.ServiceClientConstructor } } };
  client = loaded.eventbus.v1.PubSub;
  return client;
}
