import { existsSync } from 'node:fs';
import { loadClientConfigProfile, type ClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';

type Env = Record<string, string | undefined>;

/** The connection fields a temporal.toml profile can give, named as config.temporal names them. */
export interface TemporalProfileInput {
  address?: string;
  namespace?: string;
  apiKey?: string;
  tls?: boolean;
  tlsServerName?: string;
  tlsCertPath?: string;
  tlsCertData?: string;
  tlsKeyPath?: string;
  tlsKeyData?: string;
  tlsServerCaPath?: string;
  tlsServerCaData?: string;
  grpcMeta?: Record<string, string>;
}

function definedOnly(env: Env): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

function source(prefix: 'tlsCert' | 'tlsKey' | 'tlsServerCa', from: ConfigDataSource | undefined): TemporalProfileInput {
  if (!from) return {};
  if ('path' in from) return { [`${prefix}Path`]: from.path };
  return { [`${prefix}Data`]: typeof from.data === 'string' ? from.data : Buffer.from(from.data).toString('utf8') };
}

function toInput(profile: ClientConfigProfile): TemporalProfileInput {
  const tls = profile.tls;
  return {
    address: profile.address,
    namespace: profile.namespace,
    apiKey: profile.apiKey,
    // A [tls] table turns TLS on unless it says disabled = true; no table leaves the choice to the API key.
    tls: tls ? tls.disabled !== true : undefined,
    tlsServerName: tls?.serverName,
    ...source('tlsCert', tls?.clientCert),
    ...source('tlsKey', tls?.clientKey),
    ...source('tlsServerCa', tls?.serverCACert),
    grpcMeta: profile.grpcMeta,
  };
}

/**
 * The temporal.toml profile (the format the Temporal CLI and SDKs share), read only when asked for:
 * TEMPORAL_PROFILE names the profile (else "default") and TEMPORAL_CONFIG_FILE the file (else
 * ~/.config/temporalio/temporal.toml). Nothing is read when neither is set, so a developer's own
 * CLI profile never redirects `npm start`. The TEMPORAL_* variables are applied on top by the caller.
 */
export function temporalProfileFromEnv(env: Env): TemporalProfileInput {
  const profile = env.TEMPORAL_PROFILE || undefined;
  const file = env.TEMPORAL_CONFIG_FILE || undefined;
  if (!profile && !file) return {};
  // The SDK treats a missing file as an empty one; a file named on purpose must exist.
  if (file && !existsSync(file)) throw new Error(`invalid configuration: temporal.configFile: TEMPORAL_CONFIG_FILE=${file} does not exist`);
  try {
    return toInput(
      loadClientConfigProfile({
        profile,
        configSource: file ? { path: file } : undefined,
        configFileStrict: true,
        disableEnv: true,
        overrideEnvVars: definedOnly(env),
      }),
    );
  } catch (err) {
    throw new Error(`invalid configuration: temporal.profile: ${(err as Error).message.split('\n')[0]}`);
  }
}
