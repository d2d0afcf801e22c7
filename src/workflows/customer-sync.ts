import { allHandlersFinished, condition, continueAsNew, isCancellation, log, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { z } from 'zod';
import { erpChange, FieldOwnershipSchema, type CustomerMasterValues, type CustomerSyncInput, type MasterSystem } from '../domain/customer-master';
import { idempotencyKey } from '../domain/idempotency';
import { createAlerter, type Alert } from './lib/alerts';
import { parseInput } from './lib/case-facts';
import { failureType, untilSucceeded } from './lib/persistent';
import { resolveQueues } from './lib/queues';
import { customerSyncActivities } from './customer-sync/activities';
import { CustomerFold, type CustomerSyncState } from './customer-sync/customer-state';
import { customerChangeSignal, customerSyncStateQuery } from './customer-sync/definitions';
import { CustomerId } from './search-attributes';

/**
 * customerSync (customer/{customerId}): the entity workflow of one customer's master data. Changes
 * arrive by signal from Salesforce (Account/Contact change events, through the intake) and from the
 * ERP (its change feed, through customerChangePoll). Each field has one owning system (the
 * ownership table): the owner's change is written to the other system, idempotently; repeats,
 * stale versions and echoes of its own writes are dropped; a change by the non-owning system is a
 * conflict — a Case for the data steward, and neither side is overwritten until they agree again.
 */

export { customerChangeSignal, customerSyncStateQuery, customerSyncWorkflowId, customerChangePollWorkflowId, customerChangePollStateQuery } from './customer-sync/definitions';
export type { CustomerSyncState, CustomerConflict } from './customer-sync/customer-state';
export type { CustomerSyncInput } from '../domain/customer-master';

const MAX_HISTORY_EVENTS = 2_000;
/** A stale If-Match is re-read and retried this often per round before waiting for the next change. */
const MAX_STALE_RETRIES = 5;

// The carried state and queue are this workflow's own (continue-as-new); the rest is checked before it is used.
const CustomerSyncInputSchema = z.object({
  customerId: z.string().min(1).max(64),
  ownership: FieldOwnershipSchema,
  taskQueues: z.object({ salesforce: z.string().min(1).optional(), erp: z.string().min(1).optional() }).optional(),
  carried: z.object({ state: z.looseObject({ customerId: z.string() }), queue: z.array(z.unknown()) }).optional(),
});

interface Carried {
  state: CustomerSyncState;
  queue: unknown[];
}

export async function customerSync(input: CustomerSyncInput): Promise<never> {
  const { customerId, ownership, taskQueues } = parseInput(CustomerSyncInputSchema, input, 'customer sync input');
  const carried = input.carried as Carried | undefined;
  const queues = resolveQueues(taskQueues);
  const systems = customerSyncActivities(queues);
  const alerts: Alert[] = [];
  const alert = createAlerter({ salesforceQueue: queues.salesforce, alerts });
  const fold = new CustomerFold(customerId, carried?.state, ownership, () => new Date().toISOString());
  const state = fold.state;
  const queue: unknown[] = [...(carried?.queue ?? [])];
  let refusedSinceChange = false;

  setHandler(customerChangeSignal, (changes) => {
    queue.push(...(Array.isArray(changes) ? changes : [changes]));
  });
  setHandler(customerSyncStateQuery, () => ({ ...state, pending: queue.length, alerts: alerts.map((a) => ({ step: a.step, message: a.message })) }));

  if (!carried) {
    await upsertSearchAttributes([{ key: CustomerId, value: customerId }]);
    await baseline();
  }

  const historyIsLarge = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= MAX_HISTORY_EVENTS;
  const hasWork = () => !refusedSinceChange && (Object.keys(fold.pendingWrites('erp')).length > 0 || (!!state.salesforce && Object.keys(fold.pendingWrites('salesforce')).length > 0) || state.conflicts.some((c) => !c.caseId && !c.resolvedAt && !!state.salesforce));

  let firstRound = !carried;
  for (;;) {
    await condition(() => queue.length > 0 || hasWork() || historyIsLarge());
    if (queue.length) refusedSinceChange = false;
    while (queue.length) fold.receive(queue.shift());
    if (firstRound) {
      // Differences already there when the sync began that no owner's change explains: the steward decides.
      for (const field of fold.unexplainedDifferences()) fold.raiseConflict(field, ownership[field] === 'erp' ? 'salesforce' : 'erp', 'first-sync');
      firstRound = false;
    }
    await openConflictCases();
    await writeSalesforce();
    await writeErp();
    if (historyIsLarge()) {
      await condition(allHandlersFinished);
      state.continuedAsNew += 1;
      await continueAsNew<typeof customerSync>({ customerId, ownership, taskQueues, carried: { state, queue } });
    }
  }

  /** Both systems as they are now; a customer the ERP does not know cannot be synced. */
  async function baseline(): Promise<void> {
    const erp = await untilSucceeded(`read-erp-customer:${customerId}`, (p) => systems.erp[p].readErpCustomer.executeWithOptions({ summary: `ERP: customer ${customerId}` }, [customerId]), alert);
    let salesforce: Awaited<ReturnType<typeof systems.salesforce.bounded.readSalesforceCustomerMaster>> | undefined;
    try {
      salesforce = await untilSucceeded(`read-salesforce-customer:${customerId}`, (p) => systems.salesforce[p].readSalesforceCustomerMaster.executeWithOptions({ summary: `Salesforce: Account of ${customerId}` }, [customerId]), alert);
    } catch (err) {
      if (isCancellation(err) || failureType(err) !== 'NotFoundError') throw err;
      // No Account carries this customer number: the ERP side is followed, nothing is written to Salesforce.
      log.warn('no Salesforce Account for the customer', { customerId });
    }
    fold.baseline(erp, salesforce);
  }

  async function openConflictCases(): Promise<void> {
    for (const conflict of state.conflicts) {
      if (conflict.caseId || conflict.resolvedAt || !state.salesforce) continue;
      const description = [
        `The ${conflict.changedBy === 'erp' ? 'ERP' : 'Salesforce'} changed ${conflict.field} of customer ${customerId}, a field the ${conflict.owner === 'erp' ? 'ERP' : 'Salesforce'} owns.`,
        `Owner's value: ${JSON.stringify(conflict.ownerValue)}`,
        `Other value: ${JSON.stringify(conflict.otherValue)}`,
        `Cause: ${conflict.cause}. Neither system was overwritten; make them agree and the sync resumes for this field.`,
      ].join('\n');
      try {
        const opened = await untilSucceeded(`conflict-case:${conflict.key}`, (p) =>
          systems.salesforce[p].openCustomerConflictCase.executeWithOptions({ summary: `Salesforce: data steward Case for ${conflict.field}` }, [{ key: conflict.key, accountId: state.salesforce!.accountId, subject: `Customer ${customerId}: conflicting ${conflict.field}`, description }]),
        alert);
        conflict.caseId = opened.caseId;
      } catch (err) {
        // A refused Case (deleted Account, validation rule) must not end the sync and lose its memory: tried again after the next change.
        refused('salesforce', err);
      }
    }
  }

  async function writeSalesforce(): Promise<void> {
    const values = fold.pendingWrites('salesforce');
    if (!state.salesforce || !Object.keys(values).length) return;
    const target = state.salesforce;
    try {
      await untilSucceeded(`salesforce-customer:${customerId}`, (p) =>
        systems.salesforce[p].updateSalesforceCustomerMaster.executeWithOptions({ summary: `Salesforce: ${Object.keys(values).join(', ')} of ${customerId}` }, [{ accountId: target.accountId, contactId: target.contactId, values }]),
      alert);
      fold.wroteSalesforce(values);
    } catch (err) {
      refused('salesforce', err);
    }
  }

  async function writeErp(): Promise<void> {
    for (let attempt = 0; attempt <= MAX_STALE_RETRIES; attempt++) {
      const values: CustomerMasterValues = fold.pendingWrites('erp');
      if (!Object.keys(values).length || state.erpVersion === undefined) return;
      state.erpWriteSeq += 1;
      const expectedVersion = state.erpVersion;
      const key = idempotencyKey(workflowInfo().workflowId, `erp-customer-update:${state.erpWriteSeq}`);
      try {
        const result = await untilSucceeded(`erp-customer:${customerId}`, (p) =>
          systems.erp[p].updateErpCustomer.executeWithOptions({ summary: `ERP: ${Object.keys(values).join(', ')} of ${customerId} at version ${expectedVersion}` }, [{ customerId, values, expectedVersion, idempotencyKey: key }]),
        alert);
        if (result.status === 'updated') {
          fold.wroteErp(values, result.record.version);
          return;
        }
        // Someone changed the customer in the ERP since we read it: fold their change in first (it may be a conflict), then try again.
        state.writes.erpStale += 1;
        const current = await untilSucceeded(`read-erp-customer:${customerId}`, (p) => systems.erp[p].readErpCustomer.executeWithOptions({ summary: `ERP: customer ${customerId} again` }, [customerId]), alert);
        fold.receive(erpChange(current));
        // A re-read no newer than the version held is dropped by the fold: the next If-Match still moves to what the ERP has.
        state.erpVersion = Math.max(state.erpVersion ?? current.version, current.version);
      } catch (err) {
        refused('erp', err);
        return;
      }
    }
    // Stale on every try: wait for the next change rather than spin PATCH and GET against the ERP.
    state.writes.refused += 1;
    state.lastRefusal = { target: 'erp', errorType: 'StaleVersion', message: `the ERP answered ${MAX_STALE_RETRIES + 1} writes in a row as stale (412)`, at: new Date().toISOString() };
    refusedSinceChange = true;
    log.warn('customer master write stale on every try', { customerId, tries: MAX_STALE_RETRIES + 1 });
  }

  function refused(target: MasterSystem, err: unknown): void {
    if (isCancellation(err)) throw err;
    // A rejection (bad value, unknown record): nothing to retry until something changes.
    state.writes.refused += 1;
    state.lastRefusal = { target, errorType: failureType(err), message: (err as Error).message, at: new Date().toISOString() };
    refusedSinceChange = true;
    log.error('customer master write refused', { customerId, target, errorType: failureType(err) });
  }
}
