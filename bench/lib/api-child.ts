import type { AddressInfo } from 'node:net';
import { apiConfig } from '../../src/config/api';
import { createLogger } from '../../src/observability/logger';
import { createCaseFacts } from '../../src/services/case-facts';
import { createCaseStarts } from '../../src/services/case-starts';
import { buildApp } from '../../src/starters/http/app';
import { createClient } from '../../src/temporal/client';
import { configFor, type SandboxAddresses } from '../../test/helpers/sandbox';
import { runConcurrently } from './measure';

/**
 * The HTTP API in a process of its own, as it is deployed (src/starters/http/main.ts), for bench:api: built from the
 * sandbox's addresses and configuration overrides in BENCH_API_CHILD, with one API key; prints its address, stops on SIGTERM.
 * Asked over IPC ({ refunds: caseNumbers, concurrency }), it makes the call the route makes (starts.refund) for each case
 * without HTTP, in this same process, and answers with the wall time, latencies and the workflow ids.
 */
interface ChildOptions {
  sandbox: SandboxAddresses;
  env: Record<string, string>;
  keySha256: string;
}

async function main(): Promise<void> {
  const options = JSON.parse(process.env.BENCH_API_CHILD ?? '{}') as ChildOptions;
  const config = configFor(options.sandbox, options.env);
  const client = await createClient(config);
  const caseFacts = createCaseFacts(config);
  const app = await buildApp({
    client,
    config,
    caseFacts,
    // The per-key rate limit would bound the run; the bench measures the start path, so lift it.
    api: apiConfig({ keys: [{ name: 'bench', sha256: options.keySha256, scopes: ['start', 'read'] }], rateLimitMax: 1_000_000 }),
    logger: createLogger({ level: 'error', format: 'json' }),
  });
  const { orchestration, salesforce, erp, warehouse, payments } = config.taskQueues;
  const starts = createCaseStarts(client, caseFacts, { orchestration, systems: { salesforce, erp, warehouse, payments } });
  process.on('message', (message: { refunds: string[]; concurrency: number }) => {
    const workflowIds: string[] = [];
    void runConcurrently(message.refunds.length, message.concurrency, async (i) => {
      const started = await starts.refund({ caseNumber: message.refunds[i] });
      if (started.existing) throw new Error(`starts.refund for ${message.refunds[i]}: the case already had a refund`);
      workflowIds.push(started.workflowId);
    }).then(
      (run) => process.send!({ ...run, workflowIds }),
      (err: unknown) => process.send!({ error: String(err) }),
    );
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.once('SIGTERM', () => {
    void (async () => {
      await app.close();
      caseFacts.close();
      await client.connection.close();
      process.exit(0);
    })();
  });
  console.log(`api-ready ${JSON.stringify({ url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` })}`);
}

main().catch((err: unknown) => {
  console.error(`the bench's API failed to start: ${(err as Error).message}`);
  process.exit(1);
});
