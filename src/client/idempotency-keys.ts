import { createHash } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { idempotencyKey } from '../workflows/idempotency-key';
import { describeIfExists } from './handles';

/**
 * Idempotency-Keys kept in Temporal, so every API instance sees the same ones: a key is an execution
 * idempotency-key/{keyId} whose memo holds the fingerprint of the request it came with, running (its
 * start delayed) for the key's lifetime. Temporal's one-running-execution-per-id is the lock.
 */

/** The key's id: a hash of who sent it and the key, so workflow ids (never sealed) show neither. */
export function idempotencyKeyId(caller: string, key: string): string {
  return createHash('sha256').update(`${caller}\n${key}`).digest('hex');
}

/** claimed: this call holds the key now (its record's run); same: the key is held for this very request; conflict: for another. */
export type IdempotencyClaim = { outcome: 'claimed'; runId: string } | { outcome: 'same' | 'conflict' };

export interface ClaimOptions {
  keyId: string;
  fingerprint: string;
  ttlMs: number;
  /** Where the record completes once its lifetime is over (the orchestration queue). */
  taskQueue: string;
}

const FINGERPRINT_MEMO = 'fingerprint';

export const idempotencyKeyWorkflowId = (keyId: string) => `idempotency-key/${keyId}`;

export async function claimIdempotencyKey(client: Client, options: ClaimOptions): Promise<IdempotencyClaim> {
  const workflowId = idempotencyKeyWorkflowId(options.keyId);
  // A record released between our start and our read is gone: try again (a few times at most).
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const record = await client.workflow.start<typeof idempotencyKey>('idempotencyKey', {
        workflowId,
        taskQueue: options.taskQueue,
        startDelay: options.ttlMs,
        memo: { [FINGERPRINT_MEMO]: options.fingerprint },
        staticSummary: 'API idempotency key',
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      });
      return { outcome: 'claimed', runId: record.firstExecutionRunId };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    const held = await describeIfExists(client, workflowId);
    if (held?.status.name === 'RUNNING') return { outcome: held.memo?.[FINGERPRINT_MEMO] === options.fingerprint ? 'same' : 'conflict' };
  }
  throw new Error(`idempotency key ${options.keyId} could not be claimed`);
}

/** The request that claimed the key failed before starting anything: the caller may use the key again. */
export async function releaseIdempotencyKey(client: Client, keyId: string, runId: string): Promise<void> {
  try {
    await client.workflow.getHandle(idempotencyKeyWorkflowId(keyId), runId).terminate('the request failed; the key may be used again');
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}
