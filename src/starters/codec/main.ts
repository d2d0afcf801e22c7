import { configFromEnv } from '../../config';
import { ApiScopes, apiConfigFromEnv, hashApiKey } from '../../config/api';
import { codecServerConfigFromEnv } from '../../config/codec';
import { createLogger } from '../../observability/logger';
import { payloadCodecFor } from '../../temporal/payload-codec';
import { isLoopbackHost, readDevelopmentKey } from '../http/dev-key';
import { buildCodecServer } from './app';

/** `npm run codec-server` (started by `npm start`): the remote codec endpoint for the Web UI and the temporal CLI. */
async function main(): Promise<void> {
  const config = configFromEnv();
  const settings = codecServerConfigFromEnv();
  const logger = createLogger({ level: config.log.level, format: config.log.format, context: { component: 'codec' } });
  const codec = payloadCodecFor(config.payloadCodec);
  if (!codec) throw new Error('PAYLOAD_ENCRYPTION=off: there is nothing for a codec server to decode');

  const keys = apiConfigFromEnv().keys;
  const developmentKey = keys.length === 0 && isLoopbackHost(settings.host) ? readDevelopmentKey(config.stateDir) : undefined;
  if (developmentKey) keys.push({ name: 'development', sha256: hashApiKey(developmentKey), scopes: [...ApiScopes] });

  const app = await buildCodecServer({
    codec,
    namespace: config.temporal.namespace,
    origins: settings.origins,
    keys,
    token: settings.token,
    trustOriginsWithoutCredential: isLoopbackHost(settings.host),
    logger,
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)));
  await app.listen({ host: settings.host, port: settings.port });
  logger.info(`codec server listening on http://${settings.host}:${settings.port} (sealing with key ${codec.currentKeyId}; Web UI origins ${settings.origins.join(', ')})`);
}

main().catch((err: unknown) => {
  console.error(`codec server: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
