import { Command } from 'commander';
import { describeProcess } from '../../../client';
import { action } from '../action';
import { emit } from '../output';
import { renderProcess } from '../process-view';

/** `retailctl describe <workflowId>`: status, stage, search attributes and the process's own state. */
export function describeCommand(): Command {
  return new Command('describe')
    .description("a process's status, stage, search attributes and business state (exit 3 when unknown)")
    .argument('<workflowId>', 'workflow id, e.g. refund/00010025')
    .action(
      action(async (ctx, [workflowId]) => {
        const description = await describeProcess(await ctx.client(), workflowId);
        emit(ctx, description, () => renderProcess(description));
      }),
    );
}
