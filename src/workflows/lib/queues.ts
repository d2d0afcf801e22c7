/** The system task queues a workflow sends activities to; deployments may rename them (src/config). */
export interface SystemQueues {
  salesforce: string;
  erp: string;
  warehouse: string;
  payments: string;
}

/** The standard queue names (src/config defaults); pass `taskQueues` in the input when a deployment renamed them. */
export const defaultSystemQueues: SystemQueues = {
  salesforce: 'sys-salesforce',
  erp: 'sys-erp',
  warehouse: 'sys-warehouse',
  payments: 'sys-payments',
};

export function resolveQueues(overrides?: Partial<SystemQueues>): SystemQueues {
  return { ...defaultSystemQueues, ...overrides };
}
