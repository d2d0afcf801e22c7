import type { SystemQueue } from '../../src/workers/workers';
import type { SystemQueues } from '../../src/workflows/system-check';
import type { Config } from '../../src/config';

/** Stand-in activities for the systemCheck reads, for tests about the queues rather than the systems. */
export function fakeActivities(overrides: Partial<Record<SystemQueue, object>> = {}): Record<SystemQueue, object> {
  return {
    salesforce: { getCaseByNumber: async (caseNumber: string) => ({ caseNumber }) },
    erp: { getOrder: async (orderNumber: string) => ({ orderNumber }) },
    warehouse: { getShipmentsForOrder: async () => [], getTrackingMilestones: async () => [] },
    payments: { getPayment: async (paymentId: string) => ({ paymentId }) },
    ...overrides,
  };
}

/** The system queues of a config, as systemCheck's `taskQueues` input takes them. */
export function systemQueuesOf(config: Config): SystemQueues {
  const { salesforce, erp, warehouse, payments } = config.taskQueues;
  return { salesforce, erp, warehouse, payments };
}

export const checkInput = { caseNumber: '00010001', orderNumber: 'SO-1', paymentId: 'pi_1', trackingNumber: '1Z1' };
