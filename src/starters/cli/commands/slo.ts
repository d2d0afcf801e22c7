import { Command } from 'commander';
import { listFailures, type FailureGroupBy } from '../../../client/failures';
import { loadSloConfig } from '../../../config/slo';
import { readSloReport, SloGroupBySchema, SloSinceSchema } from '../../../services/slo-report';
import { action } from '../action';
import { usageError } from '../errors';
import { emit, table } from '../output';

const groupBy = (value: string): FailureGroupBy => {
  const parsed = SloGroupBySchema.safeParse(value);
  if (!parsed.success) throw usageError(`--by: "${value}" is not one of region, store, segment`);
  return parsed.data;
};

const units: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "24h" → the time 24 hours ago. */
export function sinceTime(text: string, now = Date.now()): Date {
  const m = /^(\d+)([mhd])$/.exec(text.trim());
  if (!m || Number(m[1]) === 0) throw usageError(`--since: "${text}" is not a duration like 30m, 24h or 7d`);
  return new Date(now - Number(m[1]) * units[m[2]!]!);
}

const percent = (v: number | null) => (v === null ? '' : `${(v * 100).toFixed(2)}%`);

/** `retailctl slo`: each SLO's attainment, budget left and worst contributors, from the workers' metrics. */
export function sloCommand(): Command {
  return new Command('slo')
    .description("integration SLOs: attainment, error budget left and worst contributors, read from the workers' metrics (SLO_METRICS_URLS)")
    .option('--by <key>', 'group the worst contributors by region, store or segment', 'region')
    .option('--since <duration>', 'over this window (30m, 24h, 7d), read from Prometheus (SLO_PROMETHEUS_URL); unset: since the workers started')
    .addHelpText('after', '\nExamples: retailctl slo --by store\n          retailctl slo --since 24h')
    .action(
      action<{ by: string; since?: string }>(async (ctx, _args, flags) => {
        const config = loadSloConfig();
        const by = groupBy(flags.by);
        if (flags.since !== undefined) {
          if (!SloSinceSchema.safeParse(flags.since).success) throw usageError(`--since: "${flags.since}" is not a duration like 30m, 24h or 7d`);
          if (!config.prometheusUrl) throw usageError('--since needs a Prometheus server to read a window from: set SLO_PROMETHEUS_URL');
        }
        const report = await readSloReport(config, by, flags.since);
        emit(ctx, report, () => {
          const down = report.sources.filter((s) => !s.ok).map((s) => `unreachable: ${s.url} (${s.error})`);
          const window = report.since ? [`over the last ${report.since} (Prometheus)`] : [];
          const rows = report.slos.map((s) => [
            s.id,
            s.status,
            `${s.objective * 100}% ≤ ${s.targetSeconds}s`,
            s.total,
            percent(s.attainment),
            percent(s.budgetLeft),
            s.burnRate === null ? '' : s.burnRate.toFixed(2),
            s.worst.map((w) => `${w.value} (${w.bad} bad)`).join(', '),
          ]);
          const waits = report.slos.find((s) => s.approvalWait)?.approvalWait;
          const wait = waits?.count ? [`refund approval wait (apart): ${waits.count} waits, mean ${waits.meanSeconds!.toFixed(1)}s`] : [];
          return [...down, ...window, table(['slo', 'status', 'objective', 'measured', 'attainment', 'budget left', 'burn rate', `worst ${report.groupedBy}`], rows), ...wait].join('\n');
        });
      }),
    );
}

/** `retailctl failures`: failed and alerting processes with their business keys, grouped by store, region or segment. */
export function failuresCommand(): Command {
  return new Command('failures')
    .description('failed, timed-out or terminated processes since a time, and running ones in an alerting stage, grouped by a business key')
    .option('--by <key>', 'store, region or segment', 'store')
    .option('--since <duration>', 'how far back, e.g. 30m, 24h, 7d', '24h')
    .option('--limit <n>', 'read at most this many processes', '500')
    .addHelpText('after', '\nExample: retailctl failures --by region --since 7d')
    .action(
      action<{ by: string; since: string; limit: string }>(async (ctx, _args, flags) => {
        const limit = Number(flags.limit);
        if (!Number.isInteger(limit) || limit < 1) throw usageError(`--limit: "${flags.limit}" is not a positive whole number`);
        const by = groupBy(flags.by);
        const report = await listFailures(await ctx.client(), { since: sinceTime(flags.since), by, limit });
        emit(ctx, report, () =>
          report.processes.length === 0
            ? `no failed or alerting processes since ${report.since}`
            : [
                table([by, 'processes'], report.groups.map((g) => [g.value, g.count])),
                table(
                  ['workflow id', 'type', 'status', 'stage', 'case', 'order', 'store', 'region', 'segment', 'closed'],
                  report.processes.map((p) => [p.workflowId, p.type, p.status, p.stage, p.caseNumber, p.orderNumber, p.store, p.region, p.segment, p.closeTime]),
                ),
                ...(report.truncated ? [`(more than ${limit}; raise --limit or narrow --since)`] : []),
              ].join('\n'),
        );
      }),
    );
}
