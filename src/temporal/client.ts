import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config';
import { connectionOptions } from './connection-options';
import { dataConverterFor } from './payload-codec';

/** A client for starters (HTTP API, retailctl, scripts); close it with `client.connection.close()`. */
export async function createClient(config: Config): Promise<Client> {
  const connection = await Connection.connect(await connectionOptions(config));
  return new Client({ connection, namespace: config.temporal.namespace, dataConverter: dataConverterFor(config.payloadCodec) });
}
