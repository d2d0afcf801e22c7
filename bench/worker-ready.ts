import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultLogger } from '@temporalio/worker';
import { writePrebuiltBundle } from '../src/workers/bundle';
import { getTestEnv, isolatedQueueEnv, teardownTestEnv } from '../test/helpers/temporal';
import { spawnWorkerProcess } from '../test/helpers/worker-process';
import { percentile, runBenchmark } from './lib/measure';

/**
 * npm run bench:ready — how long `npm run worker` takes from spawn to "worker ready" (every queue
 * polled), with the prebuilt workflow bundle and without it (bundled at start), alternating so a
 * busy machine affects both alike.   BENCH_ROUNDS (default 3)
 */
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

async function main(): Promise<void> {
  const env = await getTestEnv();
  const prebuilt = mkdtempSync(join(tmpdir(), 'bench-ready-'));
  const none = join(prebuilt, 'none');
  try {
    await writePrebuiltBundle(prebuilt, { logger: new DefaultLogger('ERROR') });
    const timeToReady = async (bundleDir: string, expect: string) => {
      const started = performance.now();
      const worker = spawnWorkerProcess({ ...isolatedQueueEnv('ready'), TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace ?? 'default', WORKER_WORKFLOW_BUNDLE_DIR: bundleDir }, 180_000);
      try {
        await worker.ready;
        const ms = performance.now() - started;
        if (!worker.output().includes(`"workflowBundle":"${expect}"`)) throw new Error(`expected the worker to report ${expect}:\n${worker.output()}`);
        return ms;
      } finally {
        await worker.kill('SIGTERM');
      }
    };
    const times = { prebuilt: [] as number[], atStart: [] as number[] };
    for (let round = 0; round < rounds; round++) {
      times.prebuilt.push(await timeToReady(prebuilt, 'prebuilt'));
      times.atStart.push(await timeToReady(none, 'bundled at start'));
    }
    const row = (label: string, ms: number[]) => ({ label, rounds: ms.length, p50Ms: Math.round(percentile(ms, 50)), minMs: Math.round(Math.min(...ms)), maxMs: Math.round(Math.max(...ms)) });
    console.table([row('prebuilt bundle', times.prebuilt), row('bundled at start', times.atStart)]);
    console.log(`worker ready: ${row('', times.prebuilt).p50Ms} ms prebuilt vs ${row('', times.atStart).p50Ms} ms bundled at start (p50 of ${rounds}): ratio ${(percentile(times.prebuilt, 50) / percentile(times.atStart, 50)).toFixed(2)}`);
  } finally {
    rmSync(prebuilt, { recursive: true, force: true });
    await teardownTestEnv();
  }
}

runBenchmark(main);
