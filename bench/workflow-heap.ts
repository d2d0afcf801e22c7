import { DefaultLogger } from '@temporalio/worker';
import type { OrderSyncInput } from '../src/workflows/order-sync';
import type { RefundInput } from '../src/workflows/refund';
import { bundleWorkflows } from '../src/workers/bundle';
import { measureWorkflowHeap } from './lib/workflow-heap';
import { runBenchmark } from './lib/measure';

/**
 * npm run bench:workflow-heap — the workflow-thread heap one cached workflow holds, per workflow type,
 * without a server: the bundle as `npm run build` makes it (BUSINESS_TELEMETRY=off: without the
 * interceptors), BENCH_COUNTS workflows of each type (default "20,80") created in the SDK's reusable
 * V8 context and run to their first wait; the figure is the heap between the two counts per workflow.
 */
const counts = (process.env.BENCH_COUNTS ?? '20,80').split(',').map(Number);
const taskQueues = { salesforce: 'salesforce', erp: 'erp', warehouse: 'warehouse', payments: 'payments' };
const inputs: Record<string, unknown[]> = {
  // What bench:memory holds: order syncs waiting for their next event, refunds waiting for a supervisor.
  orderSync: [{ orderNumber: 'SO-100001', settings: { coalesceWindow: '1 second' }, taskQueues } satisfies OrderSyncInput],
  refund: [{ caseNumber: '00001001', policy: { approvalThreshold: { default: 0 }, autoApproveUpTo: {}, returnRequiredFor: [], approvalTimeout: '24 hours' }, taskQueues } satisfies RefundInput],
  // No modules of its own: the floor every workflow pays (the SDK's per-workflow state and the interceptors).
  idempotencyKey: [],
};

async function main(): Promise<void> {
  const bundle = await bundleWorkflows(new DefaultLogger('WARN'), undefined, { business: process.env.BUSINESS_TELEMETRY !== 'off', tracing: Boolean(process.env.OTEL_EXPORTER_OTLP_ENDPOINT) });
  const rows = [];
  for (const [workflowType, args] of Object.entries(inputs)) {
    const result = await measureWorkflowHeap(bundle, workflowType, args, counts);
    const failed = result.firstCompletion.failed;
    if (failed) throw new Error(`${workflowType} failed its first activation: ${failed.failure?.message}`);
    rows.push({
      workflowType,
      kbPerCachedWorkflow: Math.round(result.marginalBytes / 1024),
      ...Object.fromEntries(result.points.map((p) => [`heapMbAt${p.count}`, Number((p.heapBytes / 1024 / 1024).toFixed(1))])),
      contextMb: Number((result.contextBytes / 1024 / 1024).toFixed(1)),
      ownModulesAtStart: result.ownModules.length,
    });
  }
  console.table(rows);
}

runBenchmark(main);
