import { Command, InvalidArgumentError } from 'commander';
import { RepairableClassSchema, reportToCsv, type ReconciliationReport, type RepairableClass } from '../../../domain/reconciliation';
import { readReconciliationReport, startReconciliation } from '../../../client/reconciliation';
import { action } from '../action';
import { emit, record, table } from '../output';
import { exitCodeOf, parseTimeout, waitForProcess } from '../wait';

interface RunFlags {
  wait?: boolean;
  timeout?: number;
  repair?: string[];
}

interface ShowFlags {
  csv?: boolean;
}

function businessDate(text: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(Date.parse(`${text}T00:00:00Z`))) throw new InvalidArgumentError('Give the business date as YYYY-MM-DD.');
  return text;
}

function repairClasses(text: string): string[] {
  const classes = text === 'none' ? [] : text.split(',').map((c) => c.trim());
  for (const c of classes) if (!RepairableClassSchema.safeParse(c).success) throw new InvalidArgumentError(`Repairable classes: ${RepairableClassSchema.options.join(', ')} (or none).`);
  return classes;
}

/** `retailctl reconcile run DATE [--wait]` and `retailctl reconcile show DATE [--json|--csv]`. */
export function reconcileCommand(): Command {
  const reconcile = new Command('reconcile').description("reconcile a business day's adjustments, credit memos and refunds; show the report");

  reconcile
    .command('run')
    .description('start reconciliation/{date} (or join the run in progress)')
    .argument('<date>', 'business date, YYYY-MM-DD', businessDate)
    .option('--wait', 'wait for the run to finish and print its report')
    .option('--timeout <seconds>', 'with --wait, give up after this long (exit 1; the run continues)', parseTimeout)
    .option('--repair <classes>', 'classes to repair: missing-in-salesforce,missing-in-erp or none (default: both)', repairClasses)
    .action(
      action<RunFlags>(async (ctx, [date], flags) => {
        const client = await ctx.client();
        const policy = flags.repair ? { repair: flags.repair as RepairableClass[] } : undefined;
        const started = await startReconciliation(client, ctx.config, date, policy);
        if (!flags.wait) {
          emit(ctx, started, () => record({ 'workflow id': started.workflowId, 'run id': started.runId, existing: started.existing ? 'yes (already running)' : 'no' }));
          return;
        }
        const finished = await waitForProcess(ctx, started.workflowId, { timeoutSeconds: flags.timeout });
        if (exitCodeOf(finished) !== 0) {
          emit(ctx, { ...started, status: finished.status }, () => record({ 'workflow id': started.workflowId, status: finished.status }));
          return 1;
        }
        const report = await readReconciliationReport(client, date);
        emit(ctx, { ...started, report }, () => human(report));
      }),
    );

  reconcile
    .command('show')
    .description("the day's report: counts per class and each mismatch (--json for the whole report, --csv for rows)")
    .argument('<date>', 'business date, YYYY-MM-DD', businessDate)
    .option('--csv', 'one CSV row per mismatch')
    .action(
      action<ShowFlags>(async (ctx, [date], flags) => {
        const report = await readReconciliationReport(await ctx.client(), date);
        if (flags.csv) {
          process.stdout.write(reportToCsv(report));
          return;
        }
        emit(ctx, report, () => human(report));
      }),
    );
  return reconcile;
}

function human(report: ReconciliationReport): string {
  const s = report.summary;
  const head = record({
    'business date': report.businessDate,
    status: report.status,
    records: `${report.totals.adjustments} adjustments · ${report.totals.creditMemos} credit memos · ${report.totals.refunds} refunds`,
    classes: Object.entries(report.counts).map(([c, n]) => `${c} ${n}`).join(' · '),
    actions: `${s.repaired} repaired · ${s.exceptionsOpened} exceptions opened · ${s.exceptionsAlreadyOpen} already open · ${s.unassigned} without a case · ${s.pending} pending`,
  });
  if (report.mismatches.length === 0) return head;
  const money = (m?: { amount: number; currency: string }) => (m ? `${(m.amount / 100).toFixed(2)} ${m.currency}` : '');
  return `${head}\n${table(
    ['class', 'order', 'case', 'adjustment', 'refund', 'credit memo', 'SF', 'ERP', 'payments', 'action'],
    report.mismatches.map((m) => [m.class, m.orderNumber, m.caseNumber, m.externalId, m.refundId, m.creditMemoId, money(m.amounts.salesforce), money(m.amounts.erp), money(m.amounts.payments), m.action]),
  )}`;
}
