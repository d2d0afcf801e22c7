import { temporal } from '@temporalio/proto';
import { startCaseResolution } from '../src/client';
import { actionStats, billableActions } from './lib/actions';
import { startBenchEnvironment } from './lib/environment';
import { refundOnlyPolicy as policy } from './lib/policy';
import { childPids, cpuMeter } from './lib/cpu';
import { runConcurrently, summarize, runBenchmark } from './lib/measure';

/**
 * npm run bench:cases — case resolutions per second end to end (caseResolution + its refund child,
 * real activities against the sandbox over HTTP) next to a bare workflow running the same number of
 * no-op activities in the same parallel shape, on the same server in the same run; prints both,
 * the ratio, and the Temporal actions (billable history events) per refund and per case resolution with
 * its refund, counted from the histories of every measured run. The sandbox runs in a process of its own,
 * so the CPU each side costs per case is reported apart: this process (the product's workers and the
 * client), the sandbox (the simulated systems' side of every call) and the Temporal server. Then
 * BENCH_SERIAL cases of each one at a time, for the latency of a case on a machine that is not saturated.
 *   BENCH_CASES (default 60), BENCH_CONCURRENCY (default 10), BENCH_SERIAL (default 5)
 */
const T = temporal.api.enums.v1.EventType;
const count = Number(process.env.BENCH_CASES ?? 60);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 10);
const serial = Number(process.env.BENCH_SERIAL ?? 5);

/** Activity batches of a history: the activities scheduled by each workflow task, in order. */
function activityBatches(events: temporal.api.history.v1.IHistoryEvent[]): number[] {
  const batches: number[] = [];
  let current = 0;
  for (const e of events) {
    if (e.eventType === T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) current++;
    if (e.eventType === T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED && current > 0) {
      batches.push(current);
      current = 0;
    }
  }
  if (current > 0) batches.push(current);
  return batches;
}

async function main(): Promise<void> {
  const bench = await startBenchEnvironment({
    world: { orders: 1500, cases: 2 * count + 20 },
    // The per-system rate limits would bound the run; the bench measures orchestration, so lift them.
    env: { RATE_LIMIT_SALESFORCE: '10000', RATE_LIMIT_ERP: '10000', RATE_LIMIT_WAREHOUSE: '10000', RATE_LIMIT_PAYMENTS: '10000' },
    // The same cases again with payload encryption off, for the codec's cost in the same run.
    clearToo: true,
    sandboxProcess: true,
  });
  try {
    const { client } = bench.env;
    const cases = bench.sandbox.world().cases.map((c) => c.caseNumber);
    const resolveWith = async (c: typeof client, config: typeof bench.config, caseNumber: string) => {
      const queues = { salesforce: config.taskQueues.salesforce, erp: config.taskQueues.erp, warehouse: config.taskQueues.warehouse, payments: config.taskQueues.payments };
      const started = await startCaseResolution(c, { caseNumber, taskQueue: config.taskQueues.orchestration, policy, taskQueues: queues });
      const result = (await c.workflow.getHandle(started.workflowId).result()) as { outcome: string };
      if (result.outcome !== 'refunded') throw new Error(`case ${caseNumber} ended ${result.outcome}`);
      return started.workflowId;
    };
    const resolve = (caseNumber: string) => resolveWith(client, bench.config, caseNumber);


    // Warm-up (bundle caches, connections, JIT), and the shape of one case for the baseline.
    const sampleId = await resolve(cases[count]);
    const parent = (await client.workflow.getHandle(sampleId).fetchHistory()).events ?? [];
    const child = (await client.workflow.getHandle(sampleId.replace('case-resolution/', 'refund/')).fetchHistory()).events ?? [];
    const batches = [...activityBatches(parent), ...activityBatches(child)];
    const activities = batches.reduce((a, b) => a + b, 0);
    await client.workflow.execute('bareWorkflow', { taskQueue: bench.bareQueue, workflowId: `bare-warmup-${Date.now()}`, args: [batches] });

    // Ours and the bare workflow alternate in rounds, so a machine whose load drifts weighs on both alike.
    const measured: string[] = [];
    const oursRun = { wallMs: 0, latenciesMs: [] as number[] };
    const bareRun = { wallMs: 0, latenciesMs: [] as number[] };
    const round = Math.max(concurrency, 10);
    const processes = { product: process.pid, sandbox: bench.sandbox.pid, server: childPids('start-dev')[0] };
    const cpu = { ours: {} as Record<string, number | undefined>, bare: {} as Record<string, number | undefined> };
    const addCpu = (into: Record<string, number | undefined>, used: Record<string, number | undefined>) => {
      for (const [name, ms] of Object.entries(used)) into[name] = ms === undefined ? undefined : (into[name] ?? 0) + ms;
    };
    for (let from = 0; from < count; from += round) {
      const size = Math.min(round, count - from);
      let meter = cpuMeter(processes);
      const o = await runConcurrently(size, concurrency, async (i) => measured.push(await resolve(cases[from + i])));
      addCpu(cpu.ours, meter());
      meter = cpuMeter(processes);
      const b = await runConcurrently(size, concurrency, (i) => client.workflow.execute('bareWorkflow', { taskQueue: bench.bareQueue, workflowId: `bare-${process.pid}-${from + i}`, args: [batches] }));
      addCpu(cpu.bare, meter());
      oursRun.wallMs += o.wallMs;
      oursRun.latenciesMs.push(...o.latenciesMs);
      bareRun.wallMs += b.wallMs;
      bareRun.latenciesMs.push(...b.latenciesMs);
    }
    const ours = summarize('caseResolution + refund (real activities, sandbox over HTTP)', count, oursRun);
    const bare = summarize(`bare workflow (${activities} no-op activities in ${batches.length} batches)`, count, bareRun);
    const perCaseCpu = (used: Record<string, number | undefined>) => Object.fromEntries(Object.entries(used).map(([name, ms]) => [name, ms === undefined ? undefined : Math.round(ms / count)]));
    const cpuPerCase = { ours: perCaseCpu(cpu.ours), bare: perCaseCpu(cpu.bare) };

    // One at a time: what a case costs in latency when nothing waits for a CPU.
    const spare = cases.slice(2 * count + 1);
    const serialOurs = await runConcurrently(Math.min(serial, spare.length), 1, (i) => resolve(spare[i]).then((id) => measured.push(id)));
    const serialBare = await runConcurrently(serial, 1, (i) => client.workflow.execute('bareWorkflow', { taskQueue: bench.bareQueue, workflowId: `bare-serial-${process.pid}-${i}`, args: [batches] }));
    const oneAtATime = { ours: summarize('caseResolution + refund, one at a time', Math.min(serial, spare.length), serialOurs), bare: summarize('bare workflow, one at a time', serial, serialBare) };
    // Half the cases again, sealed and clear alternately in small rounds, so both see the same machine.
    const clear = bench.clear!;
    const half = Math.floor(count / 2);
    const sealedRun = { wallMs: 0, latenciesMs: [] as number[] };
    const clearRun = { wallMs: 0, latenciesMs: [] as number[] };
    const add = (into: typeof sealedRun, run: typeof sealedRun) => {
      into.wallMs += run.wallMs;
      into.latenciesMs.push(...run.latenciesMs);
    };
    const extra = bench.sandbox.world().cases.slice(count + 1).map((c) => c.caseNumber);
    for (let round = 0; round * 10 < half; round++) {
      const size = Math.min(10, half - round * 10);
      add(sealedRun, await runConcurrently(size, concurrency, (i) => resolve(extra[2 * (round * 10 + i)])));
      add(clearRun, await runConcurrently(size, concurrency, (i) => resolveWith(clear.client, clear.config, extra[2 * (round * 10 + i) + 1])));
    }
    const sealed = summarize('caseResolution + refund, payloads sealed (AES-256-GCM)', half, sealedRun);
    const unsealed = summarize('caseResolution + refund, PAYLOAD_ENCRYPTION=off', half, clearRun);
    // Actions from the real histories of every measured case and its refund, not from one sample.
    const counted = await Promise.all(
      measured.map(async (workflowId) => {
        const parentEvents = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
        const childEvents = (await client.workflow.getHandle(workflowId.replace('case-resolution/', 'refund/')).fetchHistory()).events ?? [];
        return { caseResolution: billableActions(parentEvents), refund: billableActions(childEvents) };
      }),
    );
    const caseActions = billableActions(parent);
    const refundActions = billableActions(child);
    const perRefund = actionStats(counted.map((c) => c.refund.total));
    const perCase = actionStats(counted.map((c) => c.caseResolution.total + c.refund.total));

    const report = {
      cases: count,
      concurrency,
      ours,
      bare,
      throughputRatio: Number((ours.perSecond / bare.perSecond).toFixed(3)),
      p50Ratio: Number((ours.p50Ms / bare.p50Ms).toFixed(2)),
      cpuMsPerCase: cpuPerCase,
      oneAtATime: { ...oneAtATime, p50Ratio: Number((oneAtATime.ours.p50Ms / oneAtATime.bare.p50Ms).toFixed(2)) },
      activitiesPerCase: activities,
      codec: { sealed, clear: unsealed, throughputRatio: Number((sealed.perSecond / unsealed.perSecond).toFixed(3)) },
      actions: {
        perRefund,
        perCaseIncludingRefund: perCase,
        sample: { caseResolution: caseActions, refund: refundActions },
      },
    };
    console.log(JSON.stringify(report, null, 2));
    console.log(`\ncase resolutions/s ${ours.perSecond} vs bare ${bare.perSecond}: ratio ${report.throughputRatio} (p50 ${ours.p50Ms} ms vs ${bare.p50Ms} ms)`);
    const cpuLine = (c: Record<string, number | undefined>) => Object.entries(c).map(([name, ms]) => `${name} ${ms ?? '?'}`).join(', ');
    console.log(`CPU ms per case: ours ${cpuLine(cpuPerCase.ours)}; bare ${cpuLine(cpuPerCase.bare)}`);
    console.log(`one at a time: p50 ${oneAtATime.ours.p50Ms} ms vs bare ${oneAtATime.bare.p50Ms} ms: ratio ${report.oneAtATime.p50Ratio}`);
    console.log(`payload encryption: ${sealed.perSecond}/s sealed vs ${unsealed.perSecond}/s clear: ratio ${report.codec.throughputRatio}`);
    const range = (s: typeof perRefund) => `${s.mean}${s.min !== s.max ? ` (${s.min}–${s.max})` : ''}`;
    console.log(`Temporal actions over ${perCase.runs} runs' histories: ${range(perRefund)} per refund, ${range(perCase)} per case resolution including its refund`);
  } finally {
    await bench.close();
  }
}

runBenchmark(main);
