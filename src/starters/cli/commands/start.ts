import { Command, Option } from 'commander';
import { startCaseResolution, startRefund, startReplacement, type StartedProcess } from '../../../client';
import { CaseReasonSchema } from '../../../domain/case';
import type { SystemQueues } from '../../../workflows/lib/queues';
import type { RefundInput } from '../../../workflows/refund';
import type { ReplacementInput } from '../../../workflows/replacement';
import { action } from '../action';
import type { CliContext } from '../context';
import { usageError } from '../errors';
import { parseLines, parsePolicy, parseWorkflowInput, readJsonFile, RefundInputSchema, ReplacementInputSchema } from '../input';
import { emit, record } from '../output';
import { renderProcess } from '../process-view';
import { exitCodeOf, parseTimeout, personStages, waitForProcess } from '../wait';

interface CaseFlags {
  input?: string;
  case?: string;
  caseId?: string;
  order?: string;
  customer?: string;
  store?: string;
  region?: string;
  segment?: string;
  channel?: string;
  reason?: string;
  lines?: string;
  return?: boolean;
  warehouse?: string;
  payment?: string;
  policy?: string;
  wait?: boolean;
  timeout?: number;
}

const waitOptions = (cmd: Command) =>
  cmd
    .option('--wait', 'follow the process with a progress line until it closes or waits for a person, then print its state')
    .option('--timeout <seconds>', 'with --wait: give up after this many seconds (exit 1; the process keeps running)', parseTimeout);

/** Flags that build a CaseContext and the rest of a refund or replacement input, as an alternative to --input. */
function caseInputOptions(cmd: Command, lines: string): Command {
  return waitOptions(
    cmd
      .option('--input <file.json>', 'the whole workflow input as JSON; flags given as well override its fields')
      .option('--case <caseNumber>', 'Salesforce Case Number (the workflow id is derived from it)')
      .option('--case-id <id>', 'Salesforce Case record id')
      .option('--order <orderNumber>', 'the order the case is about')
      .option('--customer <customerId>', 'ERP customer id')
      .option('--store <storeId>', 'store id')
      .option('--region <region>', 'region')
      .option('--segment <segment>', 'customer segment (e.g. loyalty-gold)')
      .option('--channel <channel>', 'sales channel')
      .addOption(new Option('--reason <reason>', 'case reason').choices(CaseReasonSchema.options))
      .option('--lines <lines>', lines)
      .option('--return', 'the goods come back: open a return authorization first')
      .option('--warehouse <warehouseId>', 'warehouse')
      .option('--policy <json|@file>', 'resolution policy overrides (e.g. {"approvalThreshold":{"default":0}})'),
  );
}

/** `retailctl start refund|replacement|case-resolution`. */
export function startCommand(): Command {
  const start = new Command('start').description('start a process once per case (a second start answers the existing one)');

  caseInputOptions(start.command('refund').description('start refund/{caseNumber}'), 'order lines to refund, line:quantity (e.g. 10:1,20:2); default: every line in full')
    .option('--payment <paymentId>', 'payment to refund (default: the order\'s)')
    .addHelpText('after', '\nEither --input refund.json (RefundInput) or --case, --case-id, --order, --customer, --store, --region and --reason.')
    .action(
      action<CaseFlags>(async (ctx, _args, flags) => {
        const input = parseWorkflowInput(RefundInputSchema, mergeInput(flags, { lines: flags.lines && parseLines(flags.lines).map(({ lineNumber, quantity }) => ({ lineNumber, quantity })), paymentId: flags.payment }));
        const started = await startRefund(await ctx.client(), { taskQueue: ctx.config.taskQueues.orchestration, input: withQueues(ctx, input) as RefundInput });
        return report(ctx, started, flags);
      }),
    );

  caseInputOptions(start.command('replacement').description('start replacement/{caseNumber}'), 'items to ship again, line:sku:quantity (e.g. 10:SKU-1:1)')
    .addHelpText('after', '\nEither --input replacement.json (ReplacementInput) or --case, --case-id, --order, --customer, --store, --region, --reason, --lines and --warehouse.')
    .action(
      action<CaseFlags>(async (ctx, _args, flags) => {
        const lines = flags.lines ? parseLines(flags.lines) : undefined;
        if (lines?.some((l) => !l.sku)) throw usageError('--lines: a replacement names each line as line:sku:quantity');
        const input = parseWorkflowInput(ReplacementInputSchema, mergeInput(flags, { lines }));
        const started = await startReplacement(await ctx.client(), { taskQueue: ctx.config.taskQueues.orchestration, input: withQueues(ctx, input) as ReplacementInput });
        return report(ctx, started, flags);
      }),
    );

  waitOptions(
    start
      .command('case-resolution')
      .description('start case-resolution/{caseNumber}: gather the facts, decide by policy or wait for the agent')
      .requiredOption('--case <caseNumber>', 'Salesforce Case Number')
      .option('--order <orderNumber>', 'the order, when known (a search attribute from the start)')
      .option('--policy <json|@file>', 'resolution policy overrides (e.g. {"agentChoiceTimeout":"1 hour"})'),
  ).action(
    action<CaseFlags>(async (ctx, _args, flags) => {
      const started = await startCaseResolution(await ctx.client(), {
        caseNumber: flags.case!,
        taskQueue: ctx.config.taskQueues.orchestration,
        policy: flags.policy ? parsePolicy(flags.policy) : undefined,
        taskQueues: systemQueues(ctx),
        known: flags.order ? { orderNumber: flags.order } : {},
      });
      return report(ctx, started, flags);
    }),
  );
  return start;
}

/** --input file as the base, flags on top; undefined flags leave the file's values alone. */
function mergeInput(flags: CaseFlags, extra: Record<string, unknown>): Record<string, unknown> {
  const base = flags.input ? readJsonFile(flags.input, '--input') : {};
  if (typeof base !== 'object' || base === null || Array.isArray(base)) throw usageError('--input must hold a JSON object (the workflow input)');
  const file = base as Record<string, unknown>;
  const kase = defined({
    ...(file.case as object | undefined),
    ...defined({
      caseNumber: flags.case,
      caseId: flags.caseId,
      orderNumber: flags.order,
      customerId: flags.customer,
      storeId: flags.store,
      region: flags.region,
      segment: flags.segment,
      channel: flags.channel,
    }),
  });
  return {
    ...file,
    ...defined({
      case: kase,
      reason: flags.reason,
      returnRequired: flags.return,
      warehouseId: flags.warehouse,
      policy: flags.policy ? parsePolicy(flags.policy) : undefined,
      ...extra,
    }),
  };
}

const defined = <T extends Record<string, unknown>>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>;

/** The deployment's system queues (TASK_QUEUE_*), so the workflow calls the queues this deployment's workers poll. */
function systemQueues(ctx: CliContext): SystemQueues {
  const { salesforce, erp, warehouse, payments } = ctx.config.taskQueues;
  return { salesforce, erp, warehouse, payments };
}

function withQueues<I extends { taskQueues?: Record<string, string> }>(ctx: CliContext, input: I): I {
  return { ...input, taskQueues: { ...systemQueues(ctx), ...input.taskQueues } };
}

async function report(ctx: CliContext, started: StartedProcess, flags: CaseFlags) {
  if (!flags.wait) {
    emit(ctx, started, () => record({ 'workflow id': started.workflowId, 'run id': started.runId, status: started.status, started: started.existing ? 'no: the case already has this process' : 'yes' }));
    return 0;
  }
  const final = await waitForProcess(ctx, started.workflowId, { settleAt: personStages, timeoutSeconds: flags.timeout });
  emit(ctx, { ...started, process: final }, () => renderProcess(final));
  return exitCodeOf(final);
}
