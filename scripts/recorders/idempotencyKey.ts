import { claimIdempotencyKey, idempotencyKeyId, idempotencyKeyWorkflowId } from '../../src/client/idempotency-keys';
import type { Recording } from './recording';

/** An API Idempotency-Key held for a short lifetime, then completed by the worker. */
export const recorder = (): Recording => {
  const keyId = idempotencyKeyId('recorded', 'key-1');
  const workflowId = idempotencyKeyWorkflowId(keyId);
  return {
    workflowId,
    run: async (client, config) => {
      await claimIdempotencyKey(client, { keyId, fingerprint: 'recorded-request', ttlMs: 1000, taskQueue: config.taskQueues.orchestration });
      await client.workflow.getHandle(workflowId).result();
    },
  };
};
