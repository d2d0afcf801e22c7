import { Client, Connection, type ClientInterceptors } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { Config } from '../config';
import { connectionOptions } from './connection-options';
import { dataConverterFor } from './payload-codec';

/** A client for starters (HTTP API, retailctl, scripts); close it with `client.connection.close()`. */
export async function createClient(config: Config): Promise<Client> {
  const connection = await Connection.connect(await connectionOptions(config));
  return new Client({ connection, namespace: config.temporal.namespace, dataConverter: dataConverterFor(config.payloadCodec), interceptors: clientInterceptors() });
}

/** Starts, signals and updates carry the caller's trace into the workflow (a no-op without a tracer provider). */
export function clientInterceptors(): ClientInterceptors {
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor()] };
}
