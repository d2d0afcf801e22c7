import { defineQuery } from '@temporalio/workflow';
import type { ReconciliationPolicyInput, ReconciliationReport } from '../../domain/reconciliation';
import type { SystemQueues } from '../lib/queues';

/** What starts reconciliation/{businessDate}: by hand (API, CLI) with a date, or by the Schedule without one. */
export interface ReconciliationInput {
  /** yyyy-mm-dd. Absent when the Schedule starts it: the day before is reconciled as reconciliation/{that date}. */
  businessDate?: string;
  /** Overrides merged over the defaults (ReconciliationPolicySchema.parse): which classes to repair, page size. */
  policy?: ReconciliationPolicyInput;
  taskQueues?: Partial<SystemQueues>;
  /** Attempts before a failing step raises its alert and keeps retrying (default 5). */
  alertAfterAttempts?: number;
  /** Carried by continue-as-new: the running report and the key of the last mismatch settled (the day is read again after it). */
  carried?: { report: ReconciliationReport; after?: string };
}

/** A scheduled start found the day's reconciliation already running: that run answers for the day. */
export interface ReconciliationSkipped {
  businessDate: string;
  skipped: 'already-running';
}

export type ReconciliationResult = ReconciliationReport | ReconciliationSkipped;

/** The running (or final) report: counts per class, each mismatch with its keys, amounts, repairs and exception. */
export const reconciliationReportQuery = defineQuery<ReconciliationReport>('getReconciliationReport');
