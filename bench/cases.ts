import { temporal } from '@temporalio/proto';
import { startCaseResolution } from '../src/client';
import type { ResolutionPolicyInput } from '../src/domain/policy';
import { billableActions } from './lib/actions';
import { startBenchEnvironment } from './lib/environment';
import { runConcurrently, summarize, runBenchmark } from './lib/measure';

/**
 * npm run bench:cases — case resolutions per second end to end (caseResolution + its refund child,
 * real activities against the sandbox over HTTP) next to a bare workflow running the same number of
 * no-op activities in the same parallel shape, on the same server in the same run; prints both,
 * the ratio, and the Temporal actions (billable history events) per case and per refund.
 *   BENCH_CASES (default 60), BENCH_CONCURRENCY (default 10)
 */
const T = temporal.api.enums.v1.EventType;
const count = Number(process.env.BENCH_CASES ?? 60);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 10);

// Every case resolves to a refund without approval or return, so each run is the same work.
const policy: ResolutionPolicyInput = {
  refundWindowDays: 3650,
  replacementReasons: [],
  refundReasons: ['delayed-shipment', 'not-received', 'damaged-item', 'wrong-item', 'other'],
  returnRequiredFor: [],
  approvalThreshold: { default: 100_000_000 },
};

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
    world: { orders: 1500, cases: count + 10 },
    // The per-system rate limits would bound the run; the bench measures orchestration, so lift them.
    env: { RATE_LIMIT_SALESFORCE: '10000', RATE_LIMIT_ERP: '10000', RATE_LIMIT_WAREHOUSE: '10000', RATE_LIMIT_PAYMENTS: '10000' },
  });
  try {
    const { client } = bench.env;
    const cases = bench.sandbox.world().cases.map((c) => c.caseNumber);
    const { salesforce, erp, warehouse, payments } = bench.config.taskQueues;
    const resolve = async (caseNumber: string) => {
      const started = await startCaseResolution(client, { caseNumber, taskQueue: bench.config.taskQueues.orchestration, policy, taskQueues: { salesforce, erp, warehouse, payments } });
      const result = (await client.workflow.getHandle(started.workflowId).result()) as { outcome: string };
      if (result.outcome !== 'refunded') throw new Error(`case ${caseNumber} ended ${result.outcome}`);
      return started.workflowId;
    };

    // Warm-up (bundle caches, connections, JIT), and the shape of one case for the baseline.
    const sampleId = await resolve(cases[count]);
    const parent = (await client.workflow.getHandle(sampleId).fetchHistory()).events ?? [];
    const child = (await client.workflow.getHandle(sampleId.replace('case-resolution/', 'refund/')).fetchHistory()).events ?? [];
    const batches = [...activityBatches(parent), ...activityBatches(child)];
    const activities = batches.reduce((a, b) => a + b, 0);
    await client.workflow.execute('bareWorkflow', { taskQueue: bench.bareQueue, workflowId: `bare-warmup-${Date.now()}`, args: [batches] });

    const ours = summarize('caseResolution + refund (real activities, sandbox over HTTP)', count, await runConcurrently(count, concurrency, (i) => resolve(cases[i])));
    const bare = summarize(`bare workflow (${activities} no-op activities in ${batches.length} batches)`, count, await runConcurrently(count, concurrency, (i) =>
      client.workflow.execute('bareWorkflow', { taskQueue: bench.bareQueue, workflowId: `bare-${process.pid}-${i}`, args: [batches] }),
    ));
    const caseActions = billableActions(parent);
    const refundActions = billableActions(child);

    const report = {
      cases: count,
      concurrency,
      ours,
      bare,
      throughputRatio: Number((ours.perSecond / bare.perSecond).toFixed(3)),
      p50Ratio: Number((ours.p50Ms / bare.p50Ms).toFixed(2)),
      activitiesPerCase: activities,
      actions: {
        perCaseIncludingRefund: caseActions.total + refundActions.total,
        caseResolution: caseActions,
        refund: refundActions,
      },
    };
    console.log(JSON.stringify(report, null, 2));
    console.log(`\ncase resolutions/s ${ours.perSecond} vs bare ${bare.perSecond}: ratio ${report.throughputRatio} (p50 ${ours.p50Ms} ms vs ${bare.p50Ms} ms)`);
    console.log(`Temporal actions: ${refundActions.total} per refund, ${report.actions.perCaseIncludingRefund} per case resolution including its refund`);
  } finally {
    await bench.close();
  }
}

runBenchmark(main);
