import { readFile } from 'node:fs/promises';
import type { TLSConfig } from '@temporalio/client';
import type { Config } from '../config';

/** Where the embedded dev server listens when TEMPORAL_ADDRESS is unset (scripts/temporal-cli.ts). */
export const devServerAddress = '127.0.0.1:7233';

export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
}

/** Address, mTLS or API key from the config; shared by the client and the worker connections. */
export async function connectionOptions(config: Config): Promise<TemporalConnectionOptions> {
  const { address, tls, tlsCertPath, tlsKeyPath, tlsServerName, apiKey } = config.temporal;
  const options: TemporalConnectionOptions = { address: address ?? devServerAddress };
  if (tlsCertPath && tlsKeyPath) {
    const [crt, key] = await Promise.all([readFile(tlsCertPath), readFile(tlsKeyPath)]);
    options.tls = { clientCertPair: { crt, key }, serverNameOverride: tlsServerName };
  } else if (tls || apiKey) {
    // Temporal Cloud's API-key endpoints only accept TLS.
    options.tls = tlsServerName ? { serverNameOverride: tlsServerName } : true;
  }
  if (apiKey) options.apiKey = apiKey;
  return options;
}
