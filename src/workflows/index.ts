import type { VersioningBehavior } from '@temporalio/common';
import { setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
import type * as CaseResolution from './case-resolution';
import { idempotencyKey } from './idempotency-key';
import type * as IntakeCursor from './intake-cursor';
import type * as OrderBackfill from './order-backfill';
import type * as OrderSync from './order-sync';
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
/* eslint-disable @typescript-eslint/no-require-imports */
export function systemCheck(...args: Parameters<typeof SystemCheck.systemCheck>): ReturnType<typeof SystemCheck.systemCheck> {
  return (require('./system-check') as typeof SystemCheck).systemCheck(...args);
}
export function refund(...args: Parameters<typeof Refund.refund>): ReturnType<typeof Refund.refund> {
  return (require('./refund') as typeof Refund).refund(...args);
}
export function replacement(...args: Parameters<typeof Replacement.replacement>): ReturnType<typeof Replacement.replacement> {
  return (require('./replacement') as typeof Replacement).replacement(...args);
}
export function caseResolution(...args: Parameters<typeof CaseResolution.caseResolution>): ReturnType<typeof CaseResolution.caseResolution> {
  return (require('./case-resolution') as typeof CaseResolution).caseResolution(...args);
}
export function orderBackfill(...args: Parameters<typeof OrderBackfill.orderBackfill>): ReturnType<typeof OrderBackfill.orderBackfill> {
  return (require('./order-backfill') as typeof OrderBackfill).orderBackfill(...args);
}
export function orderSync(...args: Parameters<typeof OrderSync.orderSync>): ReturnType<typeof OrderSync.orderSync> {
  return (require('./order-sync') as typeof OrderSync).orderSync(...args);
}
export function reconciliation(...args: Parameters<typeof Reconciliation.reconciliation>): ReturnType<typeof Reconciliation.reconciliation> {
  return (require('./reconciliation') as typeof Reconciliation).reconciliation(...args);
}
export function intakeCursor(...args: Parameters<typeof IntakeCursor.intakeCursor>): ReturnType<typeof IntakeCursor.intakeCursor> {
  return (require('./intake-cursor') as typeof IntakeCursor).intakeCursor(...args);
}
export function stockSync(...args: Parameters<typeof StockSync.stockSync>): ReturnType<typeof StockSync.stockSync> {
  return (require('./stock-sync') as typeof StockSync).stockSync(...args);
}
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
];
// Declared only on a versioned worker: the server refuses a behaviour from a worker without a deployment version.
for (const [workflow, versioningBehavior] of versioningBehaviours) {
  setWorkflowOptions(() => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior } : {}), workflow as (...args: unknown[]) => Promise<unknown>);
}
