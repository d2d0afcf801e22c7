import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { registerNamespace, startCluster } from '../scripts/cluster';
import { waitForFrontend } from '../scripts/temporal-cli';

/**
 * npm run bench:cluster — case resolutions per second on the local Temporal cluster (PostgreSQL,
 * CLUSTER_HISTORY_SHARDS shards) against the dev server (SQLite, one shard), in one run on the same
 * machine with the same load: bench/cases.ts runs once on each, BENCH_CASES cases (default 30) at
 * BENCH_CONCURRENCY (default 10). Prints both rates and their ratio.
 */
const projectRoot = resolve(__dirname, '..');

interface CasesReport {
  ours: { perSecond: number; p50Ms: number };
  bare: { perSecond: number };
}

/** One bench:cases run in its own process; its JSON report is the block between the first `{` line and the first `}` line. */
function runCases(label: string, env: NodeJS.ProcessEnv): Promise<CasesReport> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'bench/cases.ts'], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      process.stdout.write(chunk.toString().replace(/^/gm, `[${label}] `));
    });
    child.once('close', (code) => {
      // A leading newline so a report printed first is found like one printed after other lines.
      const text = `\n${out}`;
      const start = text.indexOf('\n{');
      const end = text.indexOf('\n}', start);
      if (code !== 0 || start < 0 || end < 0) return fail(new Error(`bench:cases on ${label} exited ${code} without a report`));
      done(JSON.parse(text.slice(start + 1, end + 2)) as CasesReport);
    });
  });
}

async function main(): Promise<void> {
  const base: NodeJS.ProcessEnv = { ...process.env, BENCH_CASES: process.env.BENCH_CASES ?? '30', BENCH_CONCURRENCY: process.env.BENCH_CONCURRENCY ?? '10' };
  delete base.TEMPORAL_ADDRESS;
  delete base.TEMPORAL_NAMESPACE;
  const dev = await runCases('dev server', base);
  const cluster = await startCluster();
  let onCluster: CasesReport;
  try {
    // A namespace of its own per run: the cluster keeps earlier runs' processes, which would answer as already done.
    const namespace = `bench-${Date.now()}`;
    await registerNamespace({ namespace, retentionDays: 1 }, cluster.address);
    await waitForFrontend(cluster.address, namespace, { timeoutMs: 30_000 });
    onCluster = await runCases('cluster', { ...base, TEMPORAL_ADDRESS: cluster.address, TEMPORAL_NAMESPACE: namespace });
  } finally {
    await cluster.stop();
  }
  const ratio = onCluster.ours.perSecond / dev.ours.perSecond;
  console.log(
    `\ncase resolutions/s: cluster (${cluster.settings.historyShards} shards, PostgreSQL) ${onCluster.ours.perSecond} vs dev server (1 shard, SQLite) ${dev.ours.perSecond}: ratio ${ratio.toFixed(3)}` +
      ` (p50 ${onCluster.ours.p50Ms} ms vs ${dev.ours.p50Ms} ms; bare workflow ${onCluster.bare.perSecond}/s vs ${dev.bare.perSecond}/s)`,
  );
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    console.error(err.message);
    process.exit(1);
  },
);
