import { configFromEnv } from '../../config';
import { intakeConfigFromEnv } from '../../config/intake';
import { createSalesforceConnector } from '../../connectors/salesforce';
import { createPubSubConnector } from '../../connectors/salesforce-pubsub';
import { createLogger } from '../../observability/logger';
import { createClient } from '../../temporal/client';
import { TopicIntake } from './subscriber';

/** `npm run intake`: Case changes and resolution requests from Salesforce's Pub/Sub API into case resolutions. */
async function main(): Promise<void> {
  const config = configFromEnv();
  const intake = intakeConfigFromEnv();
  const logger = createLogger({ level: config.log.level, format: config.log.format, context: { component: 'intake' } });
  if (!intake.enabled) {
    logger.info('intake disabled (INTAKE_ENABLED=false)');
    return;
  }
  const client = await createClient(config);
  const salesforce = createSalesforceConnector(config);
  const pubsub = createPubSubConnector(config, salesforce);
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());

  logger.info('intake ready', { topics: intake.topics, endpoint: config.pubsub.endpoint, tls: config.pubsub.tls, batchSize: intake.batchSize, rule: intake.rule });
  try {
    await Promise.all(intake.topics.map((topic) => new TopicIntake({ client, config, intake, salesforce, pubsub, logger }, topic).run(stop.signal)));
  } finally {
    pubsub.shutdown();
    salesforce.shutdown();
    await client.connection.close();
  }
  logger.info('intake stopped');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`intake failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
