import { Command } from 'commander';
import { CaseNumber, OrderNumber, Region, Stage, StoreId } from '../../../workflows/search-attributes';
import { action } from '../action';
import { usageError } from '../errors';
import { emit, table } from '../output';
import { visibilityQuery, type ListFilters } from '../query';

interface ListFlags extends ListFilters {
  limit: string;
}

export interface ListedProcess {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  stage?: string;
  caseNumber?: string;
  orderNumber?: string;
  storeId?: string;
  region?: string;
  startTime: string;
  closeTime?: string;
}

/** `retailctl list`: processes found through the search attributes, newest first. */
export function listCommand(): Command {
  return new Command('list')
    .description('find processes by case, order, store, region, stage, status or type (search attributes)')
    .option('--case <caseNumber>', 'CaseNumber')
    .option('--order <orderNumber>', 'OrderNumber')
    .option('--store <storeId>', 'StoreId')
    .option('--region <region>', 'Region')
    .option('--customer <customerId>', 'CustomerId')
    .option('--stage <stage>', 'business stage, e.g. awaiting-approval')
    .option('--status <status>', 'running, completed, failed, cancelled, terminated, timed-out')
    .option('--type <type>', 'workflow type: refund, replacement, case-resolution, system-check')
    .option('--where <query>', 'an extra visibility-query clause, ANDed (e.g. \'StartTime > "2025-01-01T00:00:00Z"\')')
    .option('--limit <n>', 'at most this many', '50')
    .addHelpText('after', '\nExample: retailctl list --store 114 --status failed')
    .action(
      action<ListFlags>(async (ctx, _args, flags) => {
        const limit = Number(flags.limit);
        if (!Number.isInteger(limit) || limit < 1) throw usageError(`--limit: "${flags.limit}" is not a positive whole number`);
        const query = visibilityQuery(flags);
        const client = await ctx.client();
        const found: ListedProcess[] = [];
        for await (const w of client.workflow.list({ query: query || undefined, pageSize: Math.min(limit, 1000) })) {
          const sa = w.typedSearchAttributes;
          found.push({
            workflowId: w.workflowId,
            runId: w.runId,
            type: w.type,
            status: w.status.name,
            stage: sa.get(Stage),
            caseNumber: sa.get(CaseNumber),
            orderNumber: sa.get(OrderNumber),
            storeId: sa.get(StoreId),
            region: sa.get(Region),
            startTime: w.startTime.toISOString(),
            closeTime: w.closeTime?.toISOString(),
          });
          if (found.length >= limit) break;
        }
        emit(ctx, found, () =>
          found.length === 0
            ? `no processes${query ? ` match ${query}` : ''}`
            : table(
                ['workflow id', 'type', 'status', 'stage', 'case', 'order', 'store', 'region', 'started'],
                found.map((p) => [p.workflowId, p.type, p.status, p.stage, p.caseNumber, p.orderNumber, p.storeId, p.region, p.startTime]),
              ),
        );
      }),
    );
}
