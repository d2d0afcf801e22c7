import { Command, Option } from 'commander';
import { approveRefund, chooseResolution, rejectRefund } from '../../../client';
import { formatMoney } from '../../../domain/money';
import { workflowIds } from '../../../workflows/lib/case-context';
import { action } from '../action';
import type { CliContext } from '../context';
import { parseLines } from '../input';
import { emit, record } from '../output';
import { renderProcess } from '../process-view';
import { exitCodeOf, parseTimeout, waitForProcess } from '../wait';

interface DecisionFlags {
  approver: string;
  note?: string;
  workflowId?: string;
  wait?: boolean;
  timeout?: number;
}

interface ChoiceFlags {
  resolution: 'refund' | 'replacement';
  agent: string;
  lines?: string;
  note?: string;
  workflowId?: string;
  wait?: boolean;
  timeout?: number;
}

const withWait = (cmd: Command) =>
  cmd
    .option('--wait', 'then follow the process with a progress line until it closes (or waits for a person again) and print its state')
    .option('--timeout <seconds>', 'with --wait: give up after this many seconds (exit 1; the process keeps running)', parseTimeout);

/** `retailctl approve|reject <caseNumber>`: a supervisor's decision on a refund waiting for approval. */
export function decisionCommands(): Command[] {
  const decide = (name: 'approve' | 'reject') => {
    const cmd = new Command(name)
      .description(`${name} the case's refund (refund/{caseNumber}) while it waits for approval`)
      .argument('<caseNumber>', 'Salesforce Case Number')
      .requiredOption('--approver <userId>', "the deciding supervisor's Salesforce User Id (005…)")
      .option('--note <text>', 'a note kept with the decision')
      .option('--workflow-id <id>', 'address the refund by workflow id instead of refund/{caseNumber}');
    if (name === 'approve') withWait(cmd);
    return cmd.action(
      action<DecisionFlags>(async (ctx, [caseNumber], flags) => {
        const call = name === 'approve' ? approveRefund : rejectRefund;
        const decided = await call(await ctx.client(), caseNumber, { approver: flags.approver, note: flags.note, workflowId: flags.workflowId, caller: 'retailctl' });
        const workflowId = flags.workflowId ?? workflowIds.refund(caseNumber);
        return report(ctx, workflowId, decided, flags, () =>
          record({ 'workflow id': workflowId, decision: decided.decision, approver: `${decided.approverName} (${decided.approver})`, amount: formatMoney(decided.amount), 'decided at': decided.decidedAt }),
        );
      }),
    );
  };

  const choose = withWait(
    new Command('choose')
      .description("the agent's choice for a case the policy could not decide (case-resolution/{caseNumber})")
      .argument('<caseNumber>', 'Salesforce Case Number')
      .addOption(new Option('--resolution <kind>', 'refund or replacement').choices(['refund', 'replacement']).makeOptionMandatory())
      .requiredOption('--agent <userId>', "the choosing agent's Salesforce User Id (005…)")
      .option('--lines <lines>', 'part of the order only, line:quantity (e.g. 10:1,20:2); default: every line in full')
      .option('--note <text>', 'a note for the case')
      .option('--workflow-id <id>', 'address the process by workflow id instead of case-resolution/{caseNumber}'),
  ).action(
    action<ChoiceFlags>(async (ctx, [caseNumber], flags) => {
      const lines = flags.lines ? parseLines(flags.lines).map(({ lineNumber, quantity }) => ({ lineNumber, quantity })) : undefined;
      const accepted = await chooseResolution(await ctx.client(), caseNumber, { resolution: flags.resolution, agent: flags.agent, lines, note: flags.note, caller: 'retailctl' }, { workflowId: flags.workflowId });
      const workflowId = flags.workflowId ?? workflowIds.caseResolution(caseNumber);
      return report(ctx, workflowId, accepted, flags, () => record({ 'workflow id': workflowId, accepted: accepted.accepted, resolution: accepted.resolution, warehouse: accepted.warehouseId }));
    }),
  );
  return [decide('approve'), decide('reject'), choose];
}

/** The update's answer, or with --wait the process's state once it moved on. */
async function report(ctx: CliContext, workflowId: string, answer: object, flags: { wait?: boolean; timeout?: number }, human: () => string) {
  if (!flags.wait) {
    emit(ctx, answer, human);
    return 0;
  }
  // Decided: the process runs to its end from here (its stage may still read as waiting for a moment).
  const final = await waitForProcess(ctx, workflowId, { timeoutSeconds: flags.timeout });
  emit(ctx, { ...answer, process: final }, () => `${human()}\n${renderProcess(final)}`);
  return exitCodeOf(final);
}
