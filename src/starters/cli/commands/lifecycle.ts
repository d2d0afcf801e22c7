import { Command } from 'commander';
import { WorkflowNotFoundError } from '@temporalio/client';
import { cancelProcess, caseProcessTypes } from '../../../client';
import { notFoundOrClosed } from '../../../client/handles';
import { action } from '../action';
import { emit, record } from '../output';

interface ReasonFlags {
  reason: string;
}

/** `retailctl cancel|terminate <workflowId> --reason`. */
export function lifecycleCommands(): Command[] {
  const cancel = new Command('cancel')
    .description('ask a process to cancel: it undoes its work (saga) and notes it on the Case')
    .argument('<workflowId>', 'workflow id, e.g. refund/00010025')
    .requiredOption('--reason <text>', 'why (kept in the history)')
    .action(
      action<ReasonFlags>(async (ctx, [workflowId], flags) => {
        const client = await ctx.client();
        // Operators may cancel any process here; one that is not a case process is named, so nobody cancels an order's sync by mistake unawares.
        const requested = await cancelProcess(client, workflowId, flags.reason);
        const caseProcess = (caseProcessTypes as readonly string[]).includes(requested.type);
        const note = caseProcess ? undefined : `cancelling ${requested.type} process ${workflowId} (not a case process)`;
        emit(ctx, { ...requested, cancelRequested: true, ...(note ? { note } : {}) }, () =>
          record({ 'workflow id': workflowId, type: requested.type, 'cancel requested': 'yes', reason: flags.reason, ...(note ? { note } : {}) }),
        );
      }),
    );

  const terminate = new Command('terminate')
    .description('stop a process at once, with no compensation (last resort: prefer cancel)')
    .argument('<workflowId>', 'workflow id')
    .requiredOption('--reason <text>', 'why (kept in the history)')
    .action(
      action<ReasonFlags>(async (ctx, [workflowId], flags) => {
        const client = await ctx.client();
        try {
          await client.workflow.getHandle(workflowId).terminate(flags.reason);
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) throw await notFoundOrClosed(client, workflowId);
          throw err;
        }
        emit(ctx, { workflowId, reason: flags.reason, terminated: true }, () => record({ 'workflow id': workflowId, terminated: 'yes', reason: flags.reason }));
      }),
    );
  return [cancel, terminate];
}
