import { Command, Option } from 'commander';
import type { StartedProcess } from '../../../client';
import { CaseReasonSchema } from '../../../domain/case';
import type { CaseStarts } from '../../../services/case-starts';
import { action } from '../action';
import type { CliContext } from '../context';
import { usageError } from '../errors';
import { CaseResolutionStartInputSchema, parseLines, parseWorkflowInput, readJsonFile, RefundStartInputSchema, ReplacementStartInputSchema } from '../input';
import { emit, record } from '../output';
import { renderProcess } from '../process-view';
import { exitCodeOf, parseTimeout, personStages, waitForProcess } from '../wait';

interface CaseFlags {
  input?: string;
  case?: string;
  caseId?: string;
  reason?: string;
  lines?: string;
  requestedBy?: string;
  wait?: boolean;
  timeout?: number;
}

const waitOptions = (cmd: Command) =>
  cmd
    .option('--wait', 'follow the process with a progress line until it closes or waits for a person, then print its state')
    .option('--timeout <seconds>', 'with --wait: give up after this many seconds (exit 1; the process keeps running)', parseTimeout);

/** The case and the agent's choice; order, customer, payment and warehouse come from Salesforce and the ERP. */
function caseInputOptions(cmd: Command, lines: string): Command {
  return waitOptions(
    cmd
      .option('--input <file.json>', 'the request as JSON ({caseNumber, caseId?, reason?, lines?, requestedBy?}); flags given as well override its fields')
      .option('--case <caseNumber>', 'Salesforce Case Number (the workflow id is derived from it)')
      .option('--case-id <id>', 'Salesforce Case record id (checked against the Case)')
      .addOption(new Option('--reason <reason>', 'case reason, only when the Case has none').choices(CaseReasonSchema.options))
      .option('--lines <lines>', lines)
      .option('--requested-by <userId>', 'Salesforce User Id of the agent asking'),
  );
}

/** `retailctl start refund|replacement|case-resolution`: reads the case's facts first, then starts once per case. */
export function startCommand(): Command {
  const start = new Command('start').description('start a process once per case (a second start answers the existing one)');

  caseInputOptions(start.command('refund').description('start refund/{caseNumber}'), 'order lines to refund, line:quantity (e.g. 10:1,20:2); default: what is left of every line')
    .addHelpText('after', '\nEither --input refund.json or --case (with --reason when the Case has none).')
    .action(
      action<CaseFlags>(async (ctx, _args, flags) => {
        const request = parseWorkflowInput(RefundStartInputSchema, mergeInput(flags, { lines: flags.lines && parseLines(flags.lines).map(({ lineNumber, quantity }) => ({ lineNumber, quantity })) }));
        const started = await withCaseStarts(ctx, (starts) => starts.refund(request));
        return report(ctx, started, flags);
      }),
    );

  caseInputOptions(start.command('replacement').description('start replacement/{caseNumber}'), 'items to ship again, line:quantity or line:sku:quantity for a substitute the policy allows (e.g. 10:1); default: what is left of every line')
    .addHelpText('after', '\nEither --input replacement.json or --case (with --reason when the Case has none).')
    .action(
      action<CaseFlags>(async (ctx, _args, flags) => {
        const request = parseWorkflowInput(ReplacementStartInputSchema, mergeInput(flags, { lines: flags.lines ? parseLines(flags.lines) : undefined }));
        const started = await withCaseStarts(ctx, (starts) => starts.replacement(request));
        return report(ctx, started, flags);
      }),
    );

  waitOptions(
    start
      .command('case-resolution')
      .description('start case-resolution/{caseNumber}: gather the facts, decide by policy or wait for the agent')
      .requiredOption('--case <caseNumber>', 'Salesforce Case Number')
      .option('--case-id <id>', 'Salesforce Case record id (checked against the Case)'),
  ).action(
    action<CaseFlags>(async (ctx, _args, flags) => {
      const request = parseWorkflowInput(CaseResolutionStartInputSchema, defined({ caseNumber: flags.case, caseId: flags.caseId }));
      const started = await withCaseStarts(ctx, (starts) => starts.caseResolution(request));
      return report(ctx, started, flags);
    }),
  );
  return start;
}

/** --input file as the base, flags on top; undefined flags leave the file's values alone. */
function mergeInput(flags: CaseFlags, extra: Record<string, unknown>): Record<string, unknown> {
  const base = flags.input ? readJsonFile(flags.input, '--input') : {};
  if (typeof base !== 'object' || base === null || Array.isArray(base)) throw usageError('--input must hold a JSON object (the start request)');
  return { ...(base as Record<string, unknown>), ...defined({ caseNumber: flags.case, caseId: flags.caseId, reason: flags.reason, requestedBy: flags.requestedBy, ...extra }) };
}

/** The case's facts are read with the deployment's connectors, closed once the start answered. */
async function withCaseStarts(ctx: CliContext, start: (starts: CaseStarts) => Promise<StartedProcess>): Promise<StartedProcess> {
  // Loaded on use: the connectors are heavy, and every other command starts without them.
  // require, not import(): the launcher registers tsx as a CommonJS hook, which import() would bypass.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { createCaseFacts } = require('../../../services/case-facts') as typeof import('../../../services/case-facts');
  const { createCaseStarts } = require('../../../services/case-starts') as typeof import('../../../services/case-starts');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const caseFacts = createCaseFacts(ctx.config);
  try {
    const { orchestration, salesforce, erp, warehouse, payments } = ctx.config.taskQueues;
    return await start(createCaseStarts(await ctx.client(), caseFacts, { orchestration, systems: { salesforce, erp, warehouse, payments } }));
  } finally {
    caseFacts.close();
  }
}

const defined = <T extends Record<string, unknown>>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>;

async function report(ctx: CliContext, started: StartedProcess, flags: CaseFlags) {
  if (!flags.wait) {
    emit(ctx, started, () => record({ 'workflow id': started.workflowId, 'run id': started.runId, status: started.status, started: started.existing ? 'no: the case already has this process' : 'yes' }));
    return 0;
  }
  const final = await waitForProcess(ctx, started.workflowId, { settleAt: personStages, timeoutSeconds: flags.timeout });
  emit(ctx, { ...started, process: final }, () => renderProcess(final));
  return exitCodeOf(final);
}
