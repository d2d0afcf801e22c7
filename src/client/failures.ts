import type { Client } from '@temporalio/client';
import { CaseNumber, Channel, CustomerSegment, OrderNumber, Region, Stage, StoreId } from '../workflows/search-attributes';

/** Stages in which a running process needs a person: a saga undoing its work, an approval nobody took. */
export const alertingStages = ['compensating', 'approval-escalated'];

export type FailureGroupBy = 'store' | 'region' | 'segment';

export interface FailedProcess {
  workflowId: string;
  type: string;
  status: string;
  stage?: string;
  caseNumber?: string;
  orderNumber?: string;
  store?: string;
  region?: string;
  segment?: string;
  channel?: string;
  startTime: string;
  closeTime?: string;
}

export interface FailureReport {
  since: string;
  by: FailureGroupBy;
  groups: { value: string; count: number }[];
  processes: FailedProcess[];
  /** True when more processes matched than were read. */
  truncated: boolean;
}

/**
 * Processes that failed, timed out or were terminated since a time, and running ones in an alerting
 * stage, with their business keys: one visibility query over the search attributes every workflow carries.
 */
export async function listFailures(client: Client, options: { since: Date; by: FailureGroupBy; limit: number }): Promise<FailureReport> {
  const since = options.since.toISOString();
  const stages = alertingStages.map((s) => `"${s}"`).join(', ');
  const query = `(ExecutionStatus IN ("Failed", "TimedOut", "Terminated") AND CloseTime > "${since}") OR (ExecutionStatus = "Running" AND Stage IN (${stages}))`;
  const processes: FailedProcess[] = [];
  let truncated = false;
  for await (const w of client.workflow.list({ query, pageSize: Math.min(options.limit, 1000) })) {
    if (processes.length >= options.limit) {
      truncated = true;
      break;
    }
    const sa = w.typedSearchAttributes;
    processes.push({
      workflowId: w.workflowId,
      type: w.type,
      status: w.status.name,
      stage: sa.get(Stage),
      caseNumber: sa.get(CaseNumber),
      orderNumber: sa.get(OrderNumber),
      store: sa.get(StoreId),
      region: sa.get(Region),
      segment: sa.get(CustomerSegment),
      channel: sa.get(Channel),
      startTime: w.startTime.toISOString(),
      closeTime: w.closeTime?.toISOString(),
    });
  }
  const counts = new Map<string, number>();
  for (const p of processes) {
    const key = p[options.by] ?? 'none';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const groups = [...counts].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
  return { since, by: options.by, groups, processes, truncated };
}
