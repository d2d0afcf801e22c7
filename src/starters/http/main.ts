import { configFromEnv, secretValues } from '../../config';
import { ApiScopes, apiConfigFromEnv, hashApiKey } from '../../config/api';
import { eventsConfigFromEnv } from '../../config/events';
import { createLogger, rememberSecrets } from '../../observability/logger';
import { createCaseFacts } from '../../services/case-facts';
import { createOrderOverview } from '../../services/order-overview';
import { installTracing } from '../../observability/tracing';
import { createClient } from '../../temporal/client';
import { buildApp } from './app';
import { ensureDevelopmentKey, isLoopbackHost } from './dev-key';

/**
 * Started by `npm start` (or `node --import tsx src/starters/http/main.ts`): the HTTP API on API_HOST:API_PORT (default 127.0.0.1:3000).
 * With no key configured and a loopback listener, a development key is made (or reused) and printed.
 */
async function main(): Promise<void> {
  const config = configFromEnv();
  const api = apiConfigFromEnv();
  // Checked before anything connects: a shared event secret off loopback stops the start here.
  const events = eventsConfigFromEnv();
  rememberSecrets([...secretValues(config), ...Object.values(events.secrets)]);
  const logger = createLogger({ level: config.log.level, format: config.log.format, context: { component: 'api' } });

  let developmentKey: { key: string; path: string; created: boolean } | undefined;
  if (api.keys.length === 0) {
    if (isLoopbackHost(api.host)) {
      developmentKey = ensureDevelopmentKey(config.stateDir);
      api.keys.push({ name: 'development', sha256: hashApiKey(developmentKey.key), scopes: [...ApiScopes] });
    } else {
      logger.warn('no API key configured (RETAIL_API_KEYS or RETAIL_API_KEY): every /v1 request will be refused with 401');
    }
  }

  // OTLP export of request, client and downstream spans when OTEL_EXPORTER_OTLP_ENDPOINT is set.
  const tracing = installTracing('retail-api');
  const client = await createClient(config);
  const overview = createOrderOverview(config);
  const caseFacts = createCaseFacts(config);
  const app = await buildApp({ client, config, api, logger, events, caseFacts, overview: (orderNumber) => overview.overview(orderNumber) });

  let closing: Promise<void> | undefined;
  const close = (signal: string) => {
    closing ??= (async () => {
      logger.info(`stopping the API (${signal})`);
      await app.close();
      overview.close();
      caseFacts.close();
      await client.connection.close();
      await tracing?.shutdown();
    })();
    return closing;
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      close(signal).then(
        () => process.exit(0),
        (err) => {
          logger.error('API shutdown failed', { error: String(err) });
          process.exit(1);
        },
      );
    });
  }

  await app.listen({ host: api.host, port: api.port });
  const url = `http://${api.host.includes(':') ? `[${api.host}]` : api.host}:${api.port}`;
  logger.info(`HTTP API listening on ${url} (docs ${url}/docs, spec ${url}/openapi.json)`);
  // The key is shown once, when made; afterwards only where it is and how it starts (logs get copied around).
  if (developmentKey?.created) logger.info(`development API key created (X-API-Key, every scope; kept in ${developmentKey.path}, shown only now): ${developmentKey.key}`);
  else if (developmentKey) logger.info(`development API key ${developmentKey.key.slice(0, 10)}… in ${developmentKey.path} (npx retailctl dev-key prints it)`);
  if (developmentKey) rememberSecrets([developmentKey.key]);
}

main().catch((err: unknown) => {
  console.error(`api: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
