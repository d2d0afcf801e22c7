import { Command } from 'commander';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { notFoundOrClosed } from '../../../client/handles';
import { action } from '../action';
import { parseJsonArg } from '../input';
import { brief, emit, record } from '../output';

interface MessageFlags {
  input?: string;
  runId?: string;
}

/** `retailctl signal|update <workflowId> <name>`: any signal or update by name, for what has no dedicated command. */
export function messageCommands(): Command[] {
  const signal = new Command('signal')
    .description('send a signal to a running process (fire-and-forget)')
    .argument('<workflowId>', 'workflow id, e.g. refund/00010025')
    .argument('<name>', 'signal name, e.g. refundApproval')
    .option('--input <json|@file>', 'the signal argument as JSON (inline or @file.json); none when omitted')
    .option('--run-id <runId>', 'a specific run (default: the latest)')
    .action(
      action<MessageFlags>(async (ctx, [workflowId, name], flags) => {
        const args = argsOf(flags.input);
        const client = await ctx.client();
        await orNotFound(workflowId, client, () => client.workflow.getHandle(workflowId, flags.runId).signal(name, ...args));
        emit(ctx, { workflowId, signal: name, sent: true }, () => record({ 'workflow id': workflowId, signal: name, sent: 'yes' }));
      }),
    );

  const update = new Command('update')
    .description('run an update on a running process and print its answer')
    .argument('<workflowId>', 'workflow id, e.g. refund/00010025')
    .argument('<name>', 'update name, e.g. approveRefund')
    .option('--input <json|@file>', 'the update argument as JSON (inline or @file.json); none when omitted')
    .option('--run-id <runId>', 'a specific run (default: the latest)')
    .action(
      action<MessageFlags>(async (ctx, [workflowId, name], flags) => {
        const args = argsOf(flags.input);
        const client = await ctx.client();
        const result = await orNotFound(workflowId, client, () => {
          const handle = client.workflow.getHandle(workflowId, flags.runId);
          return args.length ? handle.executeUpdate(name, { args: args as [unknown] }) : handle.executeUpdate(name);
        });
        emit(ctx, { workflowId, update: name, result }, () => record({ 'workflow id': workflowId, update: name, result: brief(result, 1200) }));
      }),
    );
  return [signal, update];
}

const argsOf = (input: string | undefined): unknown[] => (input === undefined ? [] : [parseJsonArg(input, '--input')]);

/** The SDK says "not found" for a closed workflow too: tell the two apart (exit 3 vs 1). */
async function orNotFound<T>(workflowId: string, client: Client, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw await notFoundOrClosed(client, workflowId);
    throw err;
  }
}
