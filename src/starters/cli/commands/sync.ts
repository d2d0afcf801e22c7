import { Command, InvalidArgumentError } from 'commander';
import { describeProcess, type ProcessDescription, type StartedProcess } from '../../../client';
import type { BackfillProgress } from '../../../workflows/order-backfill';
import { startOrderBackfill } from '../../../client/backfill';
import { backfillWorkflowId, canonicalSince, InvalidSinceError, MAX_BATCH_BYTES, MAX_BATCH_SIZE, MAX_PAGE_SIZE, MIN_BATCH_BYTES } from '../../../workflows/order-backfill/ids';
import { progressLine } from '../../../workflows/order-backfill/progress';
import { action } from '../action';
import type { CliContext } from '../context';
import { failedError, usageError } from '../errors';
import { brief, emit, record } from '../output';
import { exitCodeOf, parseTimeout } from '../wait';

interface BackfillFlags {
  since: string;
  pageSize?: number;
  batchSize?: number;
  batchBytes?: number;
  wait?: boolean;
  timeout?: number;
}

const wholeNumber = (max: number, min = 1) => (text: string) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`Give a whole number from ${min} to ${max}.`);
  return n;
};

/** `retailctl sync backfill|status`: Salesforce's orders brought up to the ERP's state. */
export function syncCommand(): Command {
  const sync = new Command('sync').description('order sync between the ERP and Salesforce: backfill and its progress');

  sync
    .command('backfill')
    .description('write every order the ERP changed since a date to Salesforce (Bulk API 2.0), once per date: backfill/{since}')
    .requiredOption('--since <date>', 'orders changed at or after this date (YYYY-MM-DD, UTC) or ISO timestamp')
    .option('--page-size <n>', `orders per ERP page (1..${MAX_PAGE_SIZE}, default 200)`, wholeNumber(MAX_PAGE_SIZE))
    .option('--batch-size <n>', `rows per Bulk API job (1..${MAX_BATCH_SIZE}, default 1000)`, wholeNumber(MAX_BATCH_SIZE))
    .option('--batch-bytes <n>', `bytes of one job's rows as JSON at most (${MIN_BATCH_BYTES}..${MAX_BATCH_BYTES}, default 524288)`, wholeNumber(MAX_BATCH_BYTES, MIN_BATCH_BYTES))
    .option('--wait', 'follow the backfill with a progress line until it ends, then print its counts')
    .option('--timeout <seconds>', 'with --wait: give up after this many seconds (exit 1; the backfill keeps running)', parseTimeout)
    .addHelpText('after', '\nA running or completed backfill for the same date is answered as it is; a failed one is started again.')
    .action(
      action<BackfillFlags>(async (ctx, _args, flags) => {
        const since = sinceOf(flags.since);
        const { orchestration: taskQueue, salesforce, erp, warehouse, payments } = ctx.config.taskQueues;
        const started = await startOrderBackfill(await ctx.client(), { since, pageSize: flags.pageSize, batchSize: flags.batchSize, batchBytes: flags.batchBytes, taskQueue, taskQueues: { salesforce, erp, warehouse, payments } });
        if (!flags.wait) {
          emit(ctx, started, () => record({ 'workflow id': started.workflowId, 'run id': started.runId, status: started.status, started: started.existing ? 'no: this backfill already exists' : 'yes' }));
          return 0;
        }
        const final = await followBackfill(ctx, started, flags.timeout);
        emit(ctx, { ...started, process: final }, () => renderBackfill(final));
        return exitCodeOf(final);
      }),
    );

  sync
    .command('status')
    .description("a backfill's status and progress (exit 3 when unknown)")
    .argument('<workflowId|since>', 'backfill/2025-01-01, or just the date')
    .action(
      action(async (ctx, [target]) => {
        const description = await describeProcess(await ctx.client(), workflowIdOf(target));
        emit(ctx, description, () => renderBackfill(description));
      }),
    );
  return sync;
}

function sinceOf(text: string): string {
  try {
    return canonicalSince(text);
  } catch (err) {
    if (err instanceof InvalidSinceError) throw usageError(`--since: ${err.message}`);
    throw err;
  }
}

/** A workflow id as given, or the backfill id of a date. */
function workflowIdOf(target: string): string {
  if (target.includes('/')) return target;
  try {
    return backfillWorkflowId(target);
  } catch {
    return target;
  }
}

const pollMs = 1000;

/** Polls the backfill's progress query until the backfill closes, with a progress line on stderr (in place on a terminal). */
async function followBackfill(ctx: CliContext, started: StartedProcess, timeoutSeconds?: number): Promise<ProcessDescription> {
  const client = await ctx.client();
  const begun = Date.now();
  const tty = process.stderr.isTTY === true;
  let last = '';
  try {
    for (;;) {
      const d = await describeProcess(client, started.workflowId, { queryTimeoutMs: 3_000 });
      const progress = d.state as BackfillProgress | undefined;
      const line = `${d.workflowId}: ${d.status}${d.stage ? ` · ${d.stage}` : ''}${progress ? ` · ${progressLine(progress)}` : ''}`;
      if (tty) process.stderr.write(`\r\x1b[2K${line} (${Math.round((Date.now() - begun) / 1000)}s)`);
      else if (line !== last) process.stderr.write(`… ${line}\n`);
      last = line;
      if (d.status !== 'RUNNING') return d;
      if (timeoutSeconds !== undefined && Date.now() - begun > timeoutSeconds * 1000) throw failedError(`${d.workflowId} still ${d.stage ?? 'running'} after ${timeoutSeconds}s (it keeps running)`);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  } finally {
    if (tty) process.stderr.write('\r\x1b[2K');
  }
}

function renderBackfill(d: ProcessDescription): string {
  const p = d.state as BackfillProgress | undefined;
  const failures = p?.failures.length ? p.failures.slice(0, 5).map((f) => `${f.orderNumber} ${f.errorCode}`).join(', ') + (p.failed > 5 ? ', …' : '') : undefined;
  return record({
    'workflow id': d.workflowId,
    'run id': d.runId,
    status: d.status,
    stage: d.stage,
    since: p?.since,
    'pages read': p?.pagesRead,
    'orders seen': p?.ordersSeen,
    written: p?.written,
    created: p?.created,
    updated: p?.updated,
    failed: p?.failed,
    failures,
    'bulk jobs': p?.bulkJobs,
    run: p?.run,
    alerts: p?.alerts.length ? brief(p.alerts.map((a) => `${a.step}: ${a.errorType ?? 'error'}`)) : undefined,
    started: p?.startedAt ?? d.startTime,
    completed: p?.completedAt,
    'state unavailable': d.stateError,
  });
}
