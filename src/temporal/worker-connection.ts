import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../config';
import { connectionOptions } from './connection-options';

/** The worker side's connection; kept apart from client.ts so starters never load the native worker. */
export async function createWorkerConnection(config: Config): Promise<NativeConnection> {
  return NativeConnection.connect(await connectionOptions(config));
}
