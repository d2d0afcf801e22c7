import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { defaultPayloadConverter } from '@temporalio/common';
import { coresdk } from '@temporalio/proto';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { parseWorkflowCode } from '@temporalio/worker/lib/worker';
import type { Workflow } from '@temporalio/worker/lib/workflow/interface';
import { ReusableVMWorkflowCreator } from '@temporalio/worker/lib/workflow/reusable-vm';

/**
 * What one cached workflow costs in the workflow thread's V8 heap, measured in this process with the
 * SDK's own reusable V8 context (the worker's default executor) on a real bundle: `counts` workflows
 * of one type are created and given their first activation (they run until their first wait, as a
 * cached workflow does), then the heap is read after a full GC. The marginal cost between two counts
 * leaves out what is shared (the context, the bundle's code, preloaded modules).
 */
export interface WorkflowHeapResult {
  workflowType: string;
  /** Heap the reusable context itself holds before any workflow. */
  contextBytes: number;
  points: { count: number; heapBytes: number }[];
  /** Bytes per workflow between the first and the last count. */
  marginalBytes: number;
  /** Module ids evaluated into the first workflow's own module cache (not shared). */
  ownModules: string[];
  /** The first activation's completion: commands, or the failure. */
  firstCompletion: coresdk.workflow_completion.IWorkflowActivationCompletion;
  /** How many of the workflows failed their first activation (each should reach its first wait). */
  failedActivations: number;
}

/** A full GC even without --expose-gc (bench and tests run without it). */
function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export async function measureWorkflowHeap(bundle: WorkflowBundleWithSourceMap, workflowType: string, args: unknown[], counts: number[]): Promise<WorkflowHeapResult> {
  const gc = collector();
  const heap = () => {
    gc();
    gc();
    return getHeapStatistics().used_heap_size;
  };
  const before = heap();
  const creator = await ReusableVMWorkflowCreator.create(parseWorkflowCode(bundle.code, `/workflow-heap/${workflowType}.js`), 5_000, new Set(), undefined);
  const empty = heap();
  const workflows: Workflow[] = [];
  const points: WorkflowHeapResult['points'] = [];
  let ownModules: string[] = [];
  let firstCompletion: WorkflowHeapResult['firstCompletion'] = {};
  let failedActivations = 0;
  try {
    for (const count of counts) {
      while (workflows.length < count) {
        const i = workflows.length;
        const runId = `heap-${workflowType}-${i}`;
        const now = Date.now();
        // Plain numbers: fromObject makes protobuf Longs of them.
        const timestamp = { seconds: Math.floor(now / 1000), nanos: 0 };
        const workflow = await creator.createWorkflow({
          info: {
            workflowId: `${workflowType}/${i}`, runId, workflowType, searchAttributes: {}, taskQueue: 'workflow-heap', namespace: 'default',
            firstExecutionRunId: runId, originalExecutionRunId: runId, startTime: new Date(now), runStartTime: new Date(now), taskTimeoutMs: 10_000, attempt: 1,
            historyLength: 1, historySize: 0, continueAsNewSuggested: false, targetWorkerDeploymentVersionChanged: false, suggestedContinueAsNewReasons: undefined, currentBuildId: '',
            unsafe: { now: () => Date.now(), isReplaying: false, isReplayingHistoryEvents: false, random: Math.random },
          } as unknown as Parameters<typeof creator.createWorkflow>[0]['info'],
          randomnessSeed: [1, 2, 3, 4, 5, 6, 7, 8],
          now,
          showStackTraceSources: false,
        });
        const completion = await workflow.activate(
          coresdk.workflow_activation.WorkflowActivation.fromObject({
            runId, timestamp, historyLength: 1, historySizeBytes: 0, isReplaying: false,
            jobs: [{ initializeWorkflow: { workflowId: `${workflowType}/${i}`, workflowType, arguments: args.map((a) => defaultPayloadConverter.toPayload(a)), randomnessSeed: i + 1, firstExecutionRunId: runId, attempt: 1, startTime: timestamp, workflowTaskTimeout: { seconds: 10 } } }],
          }),
        );
        if (completion.failed) failedActivations++;
        if (i === 0) {
          firstCompletion = completion;
          ownModules = [...((workflow as unknown as { activator: { moduleCache: Map<string, unknown> } }).activator.moduleCache.keys())];
        }
        workflows.push(workflow);
      }
      points.push({ count, heapBytes: heap() - empty });
    }
  } finally {
    for (const workflow of workflows) await workflow.dispose();
    await creator.destroy();
  }
  const [first, last] = [points[0], points[points.length - 1]];
  return { workflowType, contextBytes: empty - before, points, marginalBytes: last.count > first.count ? (last.heapBytes - first.heapBytes) / (last.count - first.count) : last.heapBytes / last.count, ownModules, firstCompletion, failedActivations };
}
