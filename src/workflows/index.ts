import type { VersioningBehavior } from '@temporalio/common';
import { setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
import type * as CaseResolution from './case-resolution';
import type * as CustomerChangePoll from './customer-change-poll';
import type * as CustomerSync from './customer-sync';
import { idempotencyKey } from './idempotency-key';
import type * as IntakeCursor from './intake-cursor';
import type * as OrderBackfill from './order-backfill';
import type * as OrderSync from './order-sync';
import type * as PricingFeed from './pricing-feed';
import type * as Promotion from './promotion';
import type * as Reconciliation from './reconciliation';
import type * as Refund from './refund';
import type * as Replacement from './replacement';
import type * as StockSync from './stock-sync';
import type * as SystemCheck from './system-check';

/*
 * Every workflow the orchestration worker runs; the bundle is built from this file. Each cached
 * workflow evaluates the modules it uses into its own module cache (the SDK's reusable V8 context),
 * so a workflow type's modules are required when a workflow of that type starts, not here: an order
 * sync never holds the refund's or the reconciliation's code and schemas. The require is synchronous,
 * so the workflow function runs exactly as if it were called directly.
 */
/** The workflow `name` of the module `load` returns, loaded on the first call; named alike, so clients start it by the same type. */
function deferred<M, K extends keyof M & string>(name: K, load: () => M): M[K] {
  const run = (...args: unknown[]) => (load()[name] as (...args: unknown[]) => unknown)(...args);
  Object.defineProperty(run, 'name', { value: name });
  return run as M[K];
}

/* eslint-disable @typescript-eslint/no-require-imports */
export const systemCheck = deferred('systemCheck', () => require('./system-check') as typeof SystemCheck);
export const refund = deferred('refund', () => require('./refund') as typeof Refund);
export const replacement = deferred('replacement', () => require('./replacement') as typeof Replacement);
export const caseResolution = deferred('caseResolution', () => require('./case-resolution') as typeof CaseResolution);
export const orderBackfill = deferred('orderBackfill', () => require('./order-backfill') as typeof OrderBackfill);
export const orderSync = deferred('orderSync', () => require('./order-sync') as typeof OrderSync);
export const reconciliation = deferred('reconciliation', () => require('./reconciliation') as typeof Reconciliation);
export const intakeCursor = deferred('intakeCursor', () => require('./intake-cursor') as typeof IntakeCursor);
export const stockSync = deferred('stockSync', () => require('./stock-sync') as typeof StockSync);
// The customer master: one entity per customer, and the poll of the ERP's customer change feed.
export const customerSync = deferred('customerSync', () => require('./customer-sync') as typeof CustomerSync);
export const customerChangePoll = deferred('customerChangePoll', () => require('./customer-change-poll') as typeof CustomerChangePoll);
// Prices and promotions from the ERP to Salesforce's price books.
export const pricingFeed = deferred('pricingFeed', () => require('./pricing-feed') as typeof PricingFeed);
export const promotion = deferred('promotion', () => require('./promotion') as typeof Promotion);
/* eslint-enable @typescript-eslint/no-require-imports */
// The API's idempotency keys: started delayed by the key's lifetime, then done at once (no imports, nothing to defer).
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
