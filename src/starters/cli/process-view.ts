import type { ProcessDescription } from '../../client';
import { brief, record } from './output';

/** A process as an operator reads it: identity, status and stage, where it belongs, and its own state. */
export function renderProcess(d: ProcessDescription): string {
  const sa = d.searchAttributes;
  return record({
    'workflow id': d.workflowId,
    'run id': d.runId,
    type: d.type,
    status: d.status,
    stage: d.stage,
    summary: d.summary,
    case: sa.CaseNumber as string | undefined,
    order: sa.OrderNumber as string | undefined,
    store: sa.StoreId as string | undefined,
    region: sa.Region as string | undefined,
    customer: sa.CustomerId as string | undefined,
    started: d.startTime,
    closed: d.closeTime,
    state: d.state === undefined ? undefined : brief(d.state, 1200),
    'state unavailable': d.stateError,
  });
}
