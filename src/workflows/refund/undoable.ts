import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { failureType, untilSucceeded } from '../lib/persistent';
import type { Saga } from '../lib/saga';
import type { ProxyKind } from './systems';

/** A step before the pivot and its undo. `create` must send the step's idempotency key, so calling it again replays the first answer. */
export interface UndoableStep<T> {
  step: string;
  create: (proxy: ProxyKind, summary: string) => Promise<T>;
  summary: string;
  /** Through the proxy kind the saga asks for: bounded first, patient once the undo was escalated. */
  undo: (created: T, summary: string, proxy: ProxyKind) => Promise<unknown>;
  undoSummary: string;
}

/** The system said no (validation, rejection, not found): nothing was created. */
export function isRejection(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable === true;
}

/**
 * Runs a compensatable step with its undo registered first. The undo knows three outcomes: created
 * (undo what was returned), rejected (nothing to undo), or unknown — the call timed out or was cancelled
 * after its side effect may have happened: the undo repeats the create with the same idempotency key,
 * the system replays the saved answer with the id, and that is undone. A create that never happened is
 * then created and undone, which leaves the ledgers consistent. "Already undone / not found" counts as done.
 */
export function undoableSteps(saga: Saga, alert: (step: string, err: unknown) => Promise<void>) {
  return async function undoable<T>({ step, create, summary, undo, undoSummary }: UndoableStep<T>): Promise<T> {
    let outcome: { created: T } | 'rejected' | undefined;
    saga.addCompensation(step, async (proxy) => {
      if (outcome === 'rejected') return;
      let created: T;
      if (outcome) {
        created = outcome.created;
      } else {
        try {
          created = await create(proxy, `Recover ${summary} (same idempotency key)`);
        } catch (err) {
          if (isRejection(err)) return;
          throw err;
        }
      }
      try {
        await undo(created, undoSummary, proxy);
      } catch (err) {
        if (failureType(err) === 'NotFoundError') return;
        throw err;
      }
    });
    try {
      const created = await untilSucceeded(step, (proxy) => create(proxy, summary), alert);
      outcome = { created };
      return created;
    } catch (err) {
      if (isRejection(err)) outcome = 'rejected';
      throw err;
    }
  };
}
