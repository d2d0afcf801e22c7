import { proxySinks, workflowInfo, type Sinks } from '@temporalio/workflow';
import { CaseNumber, Channel, CustomerSegment, OrderNumber, Region, StoreId } from '../search-attributes';

/**
 * What workflow code tells the worker's business metrics (src/observability/business-metrics.ts). Sink
 * calls are not commands: they change no history, and a replay does not repeat them.
 */
export interface BusinessContext {
  process: string;
  region?: string;
  store?: string;
  segment?: string;
  channel?: string;
}

export interface BusinessSinks extends Sinks {
  business: {
    processClosed(context: BusinessContext, outcome: string, seconds: number, approvalWaitSeconds: number): void;
    alertRaised(context: BusinessContext, step: string): void;
    compensated(context: BusinessContext, step: string, outcome: 'undone' | 'stuck'): void;
  };
}

export const { business } = proxySinks<BusinessSinks>();

/** The header an activity reads its workflow's business context from (order sync's oldest unwritten event rides along). */
export const businessContextHeader = 'retail-business-context';

// The wait for a supervisor, kept per workflow on its own global so the closing interceptor can report it apart.
const approvalWaitKey = Symbol.for('retail.approvalWaitMs');
type Clock = { [approvalWaitKey]?: number };

/** Adds a wait for a human decision to this workflow's tally. */
export function noteApprovalWait(ms: number): void {
  const clock = globalThis as Clock;
  clock[approvalWaitKey] = (clock[approvalWaitKey] ?? 0) + Math.max(0, ms);
}

export function approvalWaitMs(): number {
  return (globalThis as Clock)[approvalWaitKey] ?? 0;
}

/** The running workflow's business keys, from its search attributes (set at start and upserted as facts arrive). */
export function contextOf(): BusinessContext & { caseNumber?: string; orderNumber?: string } {
  const info = workflowInfo();
  const attrs = info.typedSearchAttributes;
  const value = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  return {
    process: info.workflowType,
    region: value(attrs.get(Region)),
    store: value(attrs.get(StoreId)),
    segment: value(attrs.get(CustomerSegment)),
    channel: value(attrs.get(Channel)),
    caseNumber: value(attrs.get(CaseNumber)),
    orderNumber: value(attrs.get(OrderNumber)),
  };
}

