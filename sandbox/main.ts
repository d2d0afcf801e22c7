import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startSandbox, type SandboxSystemKey } from './index';

/** `npm run sandbox`: the simulated enterprise alone, state kept in .state/sandbox. */
const envPort = (name: string): number | undefined => (process.env[name] ? Number(process.env[name]) : undefined);

async function main(): Promise<void> {
  const ports: Partial<Record<SandboxSystemKey, number>> = {
    salesforce: envPort('SANDBOX_SALESFORCE_PORT'),
    erpCloud: envPort('SANDBOX_ERP_CLOUD_PORT'),
    erpLegacy: envPort('SANDBOX_ERP_LEGACY_PORT'),
    warehouse: envPort('SANDBOX_WAREHOUSE_PORT'),
    payments: envPort('SANDBOX_PAYMENTS_PORT'),
    carrier: envPort('SANDBOX_CARRIER_PORT'),
  };
  const sandbox = await startSandbox({
    host: process.env.SANDBOX_HOST ?? '127.0.0.1',
    ports,
    stateDir: resolve(process.env.SANDBOX_STATE_DIR ?? '.state/sandbox'),
    webhookUrl: process.env.SANDBOX_WEBHOOK_URL,
    stockWebhookUrl: process.env.SANDBOX_STOCK_WEBHOOK_URL,
    // Per sender (as off-loopback deployments need), falling back to the one shared secret.
    webhookSecret: {
      erp: process.env.SANDBOX_WEBHOOK_SECRET_ERP || process.env.SANDBOX_WEBHOOK_SECRET,
      warehouse: process.env.SANDBOX_WEBHOOK_SECRET_WAREHOUSE || process.env.SANDBOX_WEBHOOK_SECRET,
    },
    salesforceJwtCertificate: process.env.SANDBOX_SALESFORCE_JWT_CERT_FILE ? readFileSync(process.env.SANDBOX_SALESFORCE_JWT_CERT_FILE, 'utf8') : undefined,
    pubsubPort: envPort('SANDBOX_PUBSUB_PORT'),
  });
  for (const [name, url] of Object.entries(sandbox.urls)) console.log(`sandbox ${name.padEnd(10)} ${url}   (admin: ${url}/__sandbox/health)`);
  if (sandbox.pubsub) console.log(`sandbox ${'pubsub'.padEnd(10)} ${sandbox.pubsub.address}   (gRPC, Salesforce Pub/Sub API)`);
  const stop = async () => {
    await sandbox.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err) => {
  console.error(`sandbox failed to start: ${(err as Error).message}`);
  process.exit(1);
});
