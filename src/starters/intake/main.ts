import { configFromEnv } from '../../config';
import { CustomerIntakeTopics, intakeConfigFromEnv } from '../../config/intake';
import { customerMasterConfigFromEnv } from '../../config/customer-master';
import { customerSyncTarget, ensureCustomerChangePoll } from '../../client/customer-master';
import { createSalesforceConnector } from '../../connectors/salesforce';
import { createPubSubConnector } from '../../connectors/salesforce-pubsub';
import { createLogger } from '../../observability/logger';
import { createClient } from '../../temporal/client';
import { TopicIntake } from './subscriber';

/** `npm run intake`: Case changes and resolution requests from Salesforce's Pub/Sub API into case resolutions. */
async function main(): Promise<void> {
  const config = configFromEnv();
  const intake = intakeConfigFromEnv();
  const customerMaster = customerMasterConfigFromEnv();
  const logger = createLogger({ level: config.log.level, format: config.log.format, context: { component: 'intake' } });
  if (!intake.enabled) {
    logger.info('intake disabled (INTAKE_ENABLED=false)');
    return;
  }
  const client = await createClient(config);
  // The customer master sync: Account/Contact changes join the topics, and the ERP's side is polled by a workflow.
  const customers = customerMaster.enabled ? customerSyncTarget(config, customerMaster) : undefined;
  const topics = customerMaster.enabled ? [...new Set([...intake.topics, ...CustomerIntakeTopics])] : intake.topics;
  if (customerMaster.enabled) await ensureCustomerChangePoll(client, config, customerMaster);
  const salesforce = createSalesforceConnector(config);
  const pubsub = createPubSubConnector(config, salesforce);
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());

  logger.info('intake ready', { topics, customerSync: customerMaster.enabled, endpoint: config.pubsub.endpoint, tls: config.pubsub.tls, batchSize: intake.batchSize, rule: intake.rule });
  try {
    await Promise.all(topics.map((topic) => new TopicIntake({ client, config, intake, salesforce, pubsub, logger, customers }, topic).run(stop.signal)));
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
