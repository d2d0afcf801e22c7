// Reusable process client functions: the HTTP API, retailctl and scripts call these with their own Client.
export { existingProcess, startCaseResolution, startRefund, startReplacement, type StartedProcess, type StartCaseResolutionOptions, type StartChildProcessOptions } from './start';
export { approveRefund, rejectRefund, chooseResolution, type RefundDecisionOptions } from './updates';
export { cancelProcess, caseProcessTypes, type CancelRequested, type CancelOptions } from './cancel';
export { describeProcess, type ProcessDescription } from './describe';
export { ProcessNotFoundError, ProcessClosedError, UpdateRejectedError, WrongProcessTypeError } from './errors';
export { startOrderBackfill, type StartOrderBackfillOptions } from './backfill';
export { startReconciliation, readReconciliationReport, type StartedReconciliation } from './reconciliation';
