import type { VersioningBehavior } from '@temporalio/common';
import { setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
import { caseResolution } from './case-resolution';
import { customerChangePoll } from './customer-change-poll';
import { customerSync } from './customer-sync';
import { idempotencyKey } from './idempotency-key';
import { intakeCursor } from './intake-cursor';
import { orderBackfill } from './order-backfill';
import { orderSync } from './order-sync';
import { pricingFeed } from './pricing-feed';
import { promotion } from './promotion';
import { reconciliation } from './reconciliation';
import { refund } from './refund';
import { replacement } from './replacement';
import { stockSync } from './stock-sync';
import { systemCheck } from './system-check';

// Every workflow the orchestration worker runs; the bundle is built from this file.
export { systemCheck, refund, replacement, caseResolution, orderBackfill, orderSync, reconciliation, intakeCursor, stockSync };
// The customer master: one entity per customer, and the poll of the ERP's customer change feed.
export { customerSync, customerChangePoll };
// Prices and promotions from the ERP to Salesforce's price books.
export { pricingFeed, promotion };
// The API's idempotency keys: started delayed by the key's lifetime, then done at once.
export { idempotencyKey };

/**
 * How a running execution meets a new worker build (docs/upgrades.md). PINNED: it finishes on the
 * build it started on, so a deploy can change its code freely. AUTO_UPGRADE: it moves to the current
 * build at its next task, so every change to it goes through patched() — only for the long-lived
 * entity that continues-as-new and would otherwise keep an old build alive for ever.
 */
const versioningBehaviours: [(...args: never[]) => Promise<unknown>, VersioningBehavior][] = [
  [systemCheck, 'PINNED'],
  [refund, 'PINNED'],
  [replacement, 'PINNED'],
  [caseResolution, 'PINNED'],
  [orderBackfill, 'PINNED'],
  [reconciliation, 'PINNED'],
  [orderSync, 'AUTO_UPGRADE'],
  [intakeCursor, 'AUTO_UPGRADE'],
  [idempotencyKey, 'AUTO_UPGRADE'],
  [stockSync, 'AUTO_UPGRADE'],
  [customerSync, 'AUTO_UPGRADE'],
  [customerChangePoll, 'AUTO_UPGRADE'],
  [promotion, 'PINNED'],
  [pricingFeed, 'AUTO_UPGRADE'],
];
// Declared only on a versioned worker: the server refuses a behaviour from a worker without a deployment version.
for (const [workflow, versioningBehavior] of versioningBehaviours) {
  setWorkflowOptions(() => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior } : {}), workflow as (...args: unknown[]) => Promise<unknown>);
}
