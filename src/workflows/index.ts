// Every workflow the orchestration worker runs; the bundle is built from this file.
export { systemCheck } from './system-check';
export { refund } from './refund';
export { replacement } from './replacement';
export { caseResolution } from './case-resolution';
export { orderBackfill } from './order-backfill';
export { orderSync } from './order-sync';
export { reconciliation } from './reconciliation';
export { intakeCursor } from './intake-cursor';
