import type { Sandbox } from '../../sandbox';
import type { CloudErpState } from '../../sandbox/systems/erp-cloud/state';
import { nextId, type SalesforceState } from '../../sandbox/systems/salesforce/state';
import { admin } from '../helpers/sandbox';
import { uniqueName } from '../helpers/temporal';

/**
 * Test fixtures for the case-resolution suites. Workflow ids come from the case number
 * (case-resolution/{n}, refund/{n}) and a closed case never runs twice, so each test opens its own
 * copy of a seeded case (same order, customer and reason) under a case number nobody else uses.
 */
export interface OpenedCase {
  caseNumber: string;
  caseId: string;
  orderNumber: string;
}

export function openCase(sandbox: Sandbox, seededCaseNumber: string): OpenedCase {
  const sf = sandbox.systems.salesforce!.ctx.store as unknown as { data: SalesforceState; changed: () => void };
  const cases = sf.data.records.Case;
  const seeded = Object.values(cases).find((c) => c.CaseNumber === seededCaseNumber);
  if (!seeded) throw new Error(`no seeded case ${seededCaseNumber}`);
  const caseId = nextId(sf.data, '500');
  const caseNumber = uniqueName(seededCaseNumber);
  cases[caseId] = { ...seeded, Id: caseId, CaseNumber: caseNumber, Status: 'New' };
  sf.changed();
  return { caseNumber, caseId, orderNumber: seeded.Order_Number__c as string };
}

/** Sells out every line of the order in every warehouse, so no replacement can be shipped. */
export function sellOut(sandbox: Sandbox, orderNumber: string): void {
  const erp = sandbox.systems.erpCloud!.ctx.store as unknown as { data: CloudErpState; changed: () => void };
  const order = sandbox.world().orders.find((o) => o.orderNumber === orderNumber)!;
  const skus = new Set(order.lines.map((l) => l.sku));
  for (const stock of Object.values(erp.data.stock)) if (skus.has(stock.sku)) stock.onHand = stock.reserved;
  erp.changed();
}

export interface LedgerEntry {
  kind: string;
  ref: string;
  idempotencyKey?: string;
  data?: Record<string, unknown>;
}

/** What Salesforce recorded about one case: its updates, comments and tasks. */
export async function caseLedger(sandbox: Sandbox, caseId: string) {
  const { entries } = await admin(sandbox.urls.salesforce!).ledger();
  const about = (e: LedgerEntry) => e.ref === caseId || e.data?.ParentId === caseId || e.data?.WhatId === caseId;
  const mine = (entries as LedgerEntry[]).filter(about);
  return {
    updates: mine.filter((e) => e.kind === 'Case.updated').map((e) => e.data ?? {}),
    comments: mine.filter((e) => e.kind === 'CaseComment.created').map((e) => String(e.data?.CommentBody ?? '')),
    tasks: mine.filter((e) => e.kind === 'Task.created').map((e) => e.data ?? {}),
  };
}

/** Ledger entries of a system whose key or data mention the case's workflows. */
export async function ledgerFor(url: string, kindPrefix: string, match: (e: LedgerEntry) => boolean): Promise<LedgerEntry[]> {
  const { entries } = await admin(url).ledger();
  return (entries as LedgerEntry[]).filter((e) => e.kind.startsWith(kindPrefix) && match(e));
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
