import { defineQuery, defineUpdate } from '@temporalio/workflow';

/** What the intake did with one event: started a case resolution, found it started, let it pass, or forwarded a customer change to its customerSync. */
export type IntakeOutcome = 'started' | 'existing' | 'skipped' | 'forwarded';

export interface HandledEvent {
  eventId: string;
  /** Base64 replay id of the event. */
  replayId: string;
  outcome: IntakeOutcome;
  caseNumber?: string;
  /** The ERP customer number a customer change was forwarded for. */
  customerId?: string;
  recordId?: string;
  /** CREATE/UPDATE/DELETE for change events; "request" for Resolution_Requested__e; "catch-up" for a query row. */
  change: string;
}

export interface IntakeBatch {
  /** Replay id of the batch's last event: the subscription resumes right after it. */
  replayId: string;
  /** Commit time of the batch's newest change event (the catch-up query starts here after a gap). */
  lastCommitAt?: string;
  handled: HandledEvent[];
}

export interface IntakeGap {
  detectedAt: string;
  /** Last commit time known before the gap; the catch-up query read changes after it. */
  since?: string;
  caughtUp: HandledEvent[];
}

export interface IntakeCursorState {
  topic: string;
  /** Undefined: no event handled yet, or a gap was caught up; the subscription starts at LATEST. */
  replayId?: string;
  lastCommitAt?: string;
  batches: number;
  events: number;
  /** The newest handled events, oldest first (bounded), for operators and tests. */
  recent: HandledEvent[];
  gaps: IntakeGap[];
}

export interface IntakeCursorInput {
  topic: string;
  carried?: IntakeCursorState;
}

export const acknowledgeBatchUpdate = defineUpdate<IntakeCursorState, [IntakeBatch]>('acknowledgeBatch');
export const recordGapUpdate = defineUpdate<IntakeCursorState, [IntakeGap]>('recordGap');
export const intakePositionQuery = defineQuery<IntakeCursorState>('intakePosition');

/** {intakeId}/{topic}: the topic without its leading slash, e.g. intake/data/CaseChangeEvent. */
export const intakeCursorId = (topic: string, intakeId = 'intake'): string => `${intakeId}/${topic.replace(/^\//, '')}`;
