/**
 * An API caller's Idempotency-Key, held where every API instance sees it: the execution
 * idempotency-key/{keyId} carries the request's fingerprint in its memo and is started with a delay
 * of the key's lifetime, so it is running (the key is held) until then and costs no worker a task.
 * When the delay ends it completes at once and the key may be used again.
 */
export async function idempotencyKey(): Promise<void> {
  // Nothing to do: the execution's existence and memo are the record.
}
