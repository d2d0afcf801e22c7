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
 * Records real runs of the workflow types into test/replay/histories/ for the replay test: each
 * type's main run as <type>.json and each of its other paths (compensations, cancels, timeouts,
 * alerts, continue-as-new) as <type>.<path>.json. Run it after a deliberate change made safe by
 * versioning or patched(), and commit the files:
 *   npm run record-history                    every type and path
 *   npm run record-history refund             refund's main run and all its paths
 *   npm run record-history refund:rejected    one path
 * Uses an in-memory dev server and an in-process sandbox with the real connectors and workers.
 */
interface RecorderModule {
  recorder: () => Recording;
  /** Other paths of the same workflow type, by name. */
  paths?: Record<string, () => Recording>;
}

// One recorder module per workflow type, in scripts/recorders/<type>.ts, so each workflow's author adds a file.
const modules: Record<string, RecorderModule> = Object.fromEntries(
  readdirSync(join(__dirname, 'recorders'))
    .filter((f) => f.endsWith('.ts') && f !== 'recording.ts')
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    .map((f) => [f.replace(/\.ts$/, ''), require(join(__dirname, 'recorders', f)) as RecorderModule]),
);

/** "refund" → the main run and every path; "refund:rejected" → that path; "refund:" → the main run alone. */
function selected(spec: string): [name: string, type: string, make: () => Recording][] {
  const [type, path] = spec.split(':');
  const module = modules[type];
  if (!module) throw new Error(`no recorder for workflow type "${type}" (known: ${Object.keys(modules).join(', ')})`);
  const all: [string, string, () => Recording][] = [[type, type, module.recorder], ...Object.entries(module.paths ?? {}).map(([p, make]): [string, string, () => Recording] => [`${type}.${p}`, type, make])];
  if (path === undefined) return all;
  const one = all.find(([name]) => name === (path ? `${type}.${path}` : type));
  if (!one) throw new Error(`no path "${path}" for ${type} (known: ${Object.keys(module.paths ?? {}).join(', ') || 'none'})`);
  return [one];
}

async function record(name: string, type: string, make: () => Recording): Promise<void> {
  const sandbox = await startTestSandbox();
  const config = configFor(sandbox, isolatedQueueEnv('record'));
  const activities = buildActivities(config);
  try {
    const env = await getTestEnv();
    const workers = await createWorkers(config, { connection: env.nativeConnection, workflowBundle: await getWorkflowBundle(), activities });
    const { workflowId, run, firstRun } = make();
    const runId = await runWorkersUntil(workers, () => run(env.client, config, sandbox));
    // A run that continued as new is recorded from its first run, which holds the continue-as-new command.
    const handle = env.client.workflow.getHandle(workflowId, firstRun && runId ? runId : undefined);
    const history = await handle.fetchHistory();
    const file = join(projectRoot, 'test', 'replay', 'histories', `${name}.json`);
    writeFileSync(file, `${JSON.stringify({ workflowType: type, workflowId, history: JSON.parse(historyToJSON(history)) }, null, 2)}\n`);
    console.log(`recorded ${history.events?.length} events of ${name} (${workflowId}) → ${file}`);
  } finally {
    await activities.close();
    await sandbox.close();
  }
}

async function main(): Promise<void> {
  const specs = process.argv.slice(2);
  try {
    for (const spec of specs.length ? specs : Object.keys(modules)) {
      for (const [name, type, make] of selected(spec)) await record(name, type, make);
    }
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
