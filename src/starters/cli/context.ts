import { Client, Connection } from '@temporalio/client';
import { ZodError } from 'zod';
import { configFromEnv, type Config } from '../../config';
import { clientInterceptors } from '../../temporal/client';
import { connectionOptions, devServerAddress } from '../../temporal/connection-options';
import { dataConverterFor } from '../../temporal/payload-codec';
import { UnreachableError, usageError } from './errors';

/** Options every command accepts (retailctl --json --namespace … --address … --profile …). */
export interface GlobalOptions {
  json?: boolean;
  namespace?: string;
  address?: string;
  profile?: string;
}

/** What a command runs with: the worker's configuration and, once asked for, a connected client. */
export interface CliContext {
  config: Config;
  json: boolean;
  /** Where the client connects, for error messages. */
  address: string;
  client(): Promise<Client>;
  close(): Promise<void>;
}

// Fail fast: an operator at a terminal should hear about a wrong address in seconds, not the SDK's default.
const connectTimeout = '5 seconds';

/** The same TEMPORAL_* environment as the worker (configFromEnv), with --namespace/--address/--profile on top. */
export function createContext(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): CliContext {
  let config: Config;
  try {
    config = configFromEnv({
      ...env,
      ...(options.address ? { TEMPORAL_ADDRESS: options.address } : {}),
      ...(options.namespace ? { TEMPORAL_NAMESPACE: options.namespace } : {}),
      ...(options.profile ? { TEMPORAL_PROFILE: options.profile } : {}),
    });
  } catch (err) {
    if (err instanceof ZodError) throw usageError(`invalid configuration: ${err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    throw err;
  }
  const address = config.temporal.address ?? devServerAddress;
  let client: Promise<Client> | undefined;
  return {
    config,
    json: options.json ?? false,
    address,
    client: () => {
      client ??= connect(config, address);
      return client;
    },
    close: async () => {
      const connected = await client?.catch(() => undefined);
      await connected?.connection.close();
    },
  };
}

// createClient(config) with a short connect timeout: the same connection options as the worker.
async function connect(config: Config, address: string): Promise<Client> {
  // A missing payload key is a configuration error, not an unreachable server: say so before connecting.
  const dataConverter = dataConverterFor(config.payloadCodec);
  try {
    const connection = await Connection.connect({ ...(await connectionOptions(config)), connectTimeout });
    return new Client({ connection, namespace: config.temporal.namespace, dataConverter, interceptors: clientInterceptors() });
  } catch (err) {
    throw new UnreachableError(address, (err as Error).message.split('\n')[0]);
  }
}
