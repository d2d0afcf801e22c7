import assert from 'node:assert/strict';
import { isDownstreamError, type DownstreamError } from '../../src/domain/errors';

/** Awaits a call that must fail and returns its classified downstream error (fails the test otherwise). */
export async function failure(call: Promise<unknown> | (() => Promise<unknown>)): Promise<DownstreamError> {
  try {
    await (typeof call === 'function' ? call() : call);
  } catch (err) {
    assert.ok(isDownstreamError(err), `expected a classified downstream error, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}
