import { readFile } from 'node:fs/promises';
import type { TLSConfig } from '@temporalio/client';
import type { Config } from '../config';

/** Where the embedded dev server listens when TEMPORAL_ADDRESS is unset (scripts/temporal-cli.ts). */
export const devServerAddress = '127.0.0.1:7233';

export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
  metadata?: Record<string, string>;
}

async function pem(data: string | undefined, path: string | undefined): Promise<Buffer | undefined> {
  if (data) return Buffer.from(data);
  return path ? readFile(path) : undefined;
}

/**
 * The one connection factory's options (client, worker, retailctl, schedules): address, TLS or mTLS,
 * API key and gRPC headers from config.temporal, where the TEMPORAL_* variables already sit on top of
 * the temporal.toml profile.
 */
export async function connectionOptions(config: Config): Promise<TemporalConnectionOptions> {
  const t = config.temporal;
  const [crt, key, ca] = await Promise.all([pem(t.tlsCertData, t.tlsCertPath), pem(t.tlsKeyData, t.tlsKeyPath), pem(t.tlsServerCaData, t.tlsServerCaPath)]);
  const options: TemporalConnectionOptions = { address: t.address ?? devServerAddress };
  // Temporal Cloud's API-key endpoints only accept TLS; an explicit TEMPORAL_TLS=false (or disabled = true) still wins.
  const tlsOn = t.tls ?? Boolean(t.apiKey || crt || ca);
  if (tlsOn) {
    const tls: TLSConfig = {
      ...(t.tlsServerName ? { serverNameOverride: t.tlsServerName } : {}),
      ...(ca ? { serverRootCACertificate: ca } : {}),
      ...(crt && key ? { clientCertPair: { crt, key } } : {}),
    };
    options.tls = Object.keys(tls).length ? tls : true;
  }
  if (t.apiKey) options.apiKey = t.apiKey;
  if (t.grpcMeta && Object.keys(t.grpcMeta).length) options.metadata = t.grpcMeta;
  return options;
}
