import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildActivities } from '../src/activities';
import { createWorkers } from '../src/workers/workers';
import { configFor, startTestSandbox } from '../test/helpers/sandbox';
import { getTestEnv, getWorkflowBundle, isolatedQueueEnv, runWorkersUntil, teardownTestEnv } from '../test/helpers/temporal';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { projectRoot } from './temporal-cli';
import type { Recording } from './recorders/recording';

/**
 * Records a real run of a workflow type into test/replay/histories/<type>.json, for the replay
 * test. Run it after a deliberate, compatible change or a new workflow type, and commit the file:
 *   tsx scripts/record-history.ts [systemCheck ...]
 * Uses an in-memory dev server and an in-process sandbox with the real connectors and workers.
 */
// One recorder per workflow type, in scripts/recorders/<type>.ts, so each workflow's author adds a file.
const recorders: Record<string, () => Recording> = Object.fromEntries(
  readdirSync(join(__dirname, 'recorders'))
    .filter((f) => f.endsWith('.ts') && f !== 'recording.ts')
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    .map((f) => [f.replace(/\.ts$/, ''), (require(join(__dirname, 'recorders', f)) as { recorder: () => Recording }).recorder]),
);

async function record(type: string): Promise<void> {
  const recorder = recorders[type];
  if (!recorder) throw new Error(`no recorder for workflow type "${type}" (known: ${Object.keys(recorders).join(', ')})`);
  const sandbox = await startTestSandbox();
  const config = configFor(sandbox, isolatedQueueEnv('record'));
  const activities = buildActivities(config);
  try {
    const env = await getTestEnv();
    const workers = await createWorkers(config, { connection: env.nativeConnection, workflowBundle: await getWorkflowBundle(), activities });
    const { workflowId, run } = recorder();
    await runWorkersUntil(workers, () => run(env.client, config, sandbox));
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const file = join(projectRoot, 'test', 'replay', 'histories', `${type}.json`);
    writeFileSync(file, `${JSON.stringify({ workflowType: type, workflowId, history: JSON.parse(historyToJSON(history)) }, null, 2)}\n`);
    console.log(`recorded ${history.events?.length} events of ${type} (${workflowId}) → ${file}`);
  } finally {
    activities.close();
    await sandbox.close();
  }
}

async function main(): Promise<void> {
  const types = process.argv.slice(2);
  try {
    for (const type of types.length ? types : Object.keys(recorders)) await record(type);
  } finally {
    await teardownTestEnv();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
