import { defineQuery, defineSignal } from '@temporalio/workflow';
import { CUSTOMER_CHANGE_SIGNAL, type CustomerChange } from '../../domain/customer-master';
import type { CustomerSyncState } from './customer-state';

export { customerSyncWorkflowId } from '../../domain/customer-master';

/** Changes to one customer from either system, in the order they were sent; each is deduplicated by source and eventId. */
export const customerChangeSignal = defineSignal<[CustomerChange[]]>(CUSTOMER_CHANGE_SIGNAL);
export const customerSyncStateQuery = defineQuery<CustomerSyncState & { pending: number; alerts: { step: string; message: string }[] }>('getCustomerSyncState');

/** The single poller of the ERP's customer change feed. */
export const customerChangePollWorkflowId = (id = 'erp') => `customer-changes/${id}`;
export interface CustomerChangePollState {
  /** The watermark: the feed cursor after the last change forwarded. */
  cursor?: string;
  polls: number;
  forwarded: number;
  lastPolledAt?: string;
}
export const customerChangePollStateQuery = defineQuery<CustomerChangePollState>('getCustomerChangePollState');
