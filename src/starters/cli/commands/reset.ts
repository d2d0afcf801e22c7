import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import { temporal } from '@temporalio/proto';
import { ProcessNotFoundError } from '../../../client';
import { describeIfExists } from '../../../client/handles';
import { action } from '../action';
import { failedError, usageError } from '../errors';
import { resetPointOf } from '../history';
import { emit, record } from '../output';

const { ResetWorkflowExecutionRequest } = temporal.api.workflowservice.v1;

interface ResetFlags {
  reason: string;
  runId?: string;
  eventId?: string;
}

/** `retailctl reset <workflowId>`: after the fault is repaired, re-run a process from its last failed step. */
export function resetCommand(): Command {
  return new Command('reset')
    .description('re-run a process from the step that failed (after the cause is repaired): a new run continues from the last completed workflow task before the first failure')
    .argument('<workflowId>', 'workflow id, e.g. refund/00010025')
    .option('--reason <text>', 'why (kept in the history)', 'retailctl reset: re-run from the last failed step')
    .option('--run-id <runId>', 'the run to reset (default: the latest)')
    .option('--event-id <n>', 'reset to this WorkflowTaskCompleted event instead of finding the failed step')
    .action(
      action<ResetFlags>(async (ctx, [workflowId], flags) => {
        const explicit = flags.eventId === undefined ? undefined : Number(flags.eventId);
        if (explicit !== undefined && (!Number.isInteger(explicit) || explicit < 1)) throw usageError(`--event-id: "${flags.eventId}" is not an event id`);
        const client = await ctx.client();
        const latest = await describeIfExists(client, workflowId);
        if (!latest) throw new ProcessNotFoundError(workflowId);
        const runId = flags.runId ?? latest.runId;
        const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
        const point = explicit !== undefined ? { eventId: explicit } : resetPointOf(history);
        if (!point) throw failedError(`${workflowId} (run ${runId}) has no failed step to reset to; give --event-id to reset elsewhere`);

        // fromObject turns the event id into the Long the int64 field wants.
        const request = ResetWorkflowExecutionRequest.fromObject({
          namespace: client.options.namespace,
          workflowExecution: { workflowId, runId },
          reason: flags.reason,
          workflowTaskFinishEventId: point.eventId,
          requestId: randomUUID(),
        });
        const response = (await client.workflowService.resetWorkflowExecution(request)) as temporal.api.workflowservice.v1.IResetWorkflowExecutionResponse;
        const newRunId = response.runId ?? '';
        const result = { workflowId, previousRunId: runId, runId: newRunId, resetToEventId: point.eventId, ...('failedEventId' in point ? { failedEventId: point.failedEventId, failedEventType: point.failedEventType } : {}), reason: flags.reason };
        emit(ctx, result, () =>
          record({
            'workflow id': workflowId,
            'new run id': newRunId,
            'previous run': runId,
            'reset to event': point.eventId,
            'failed step': 'failedEventId' in point ? `event ${point.failedEventId} (${point.failedEventType})` : undefined,
          }),
        );
      }),
    );
}
