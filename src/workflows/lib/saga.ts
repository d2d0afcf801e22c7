import { CancellationScope, log, patched, sleep } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import { business, contextOf } from './business-signals';
import type { ProxyKind } from './persistent';

/**
 * Saga bookkeeping for the compensatable → pivot → retriable order (ARCHITECTURE.md).
 *
 * Register a compensation *before* the step that may partly succeed, so a step that timed out
 * after its side effect is still undone; every compensation must therefore be idempotent and
 * harmless when the step never happened. Compensations run in reverse order, inside a
 * non-cancellable scope (a cancelled workflow still undoes its work), and each is retried until it
 * succeeds: after its first failed round (the `bounded` proxies) the saga escalates once through
 * `onStuck`, then runs the undo through the `patient` proxies, whose activities the server retries
 * without adding history events, so an outage of any length costs a bounded number of events. It never
 * swallows the failure.
 */
export interface Compensation {
  step: string;
  /** Calls its activities through the given proxy kind: `bounded` first, `patient` once escalated. */
  undo: (proxy: ProxyKind) => Promise<unknown>;
}

// Histories from before undos were retried by the server took a workflow timer between rounds.
const SERVER_RETRIED_UNDO = 'saga-undo-retried-by-server';

export interface SagaOptions {
  /** Called once per compensation that failed a full round of activity retries. */
  onStuck: (step: string, error: unknown) => Promise<void>;
  /** Pause before another round when even the patient undo gave up (a rejection or a timeout, not an outage). */
  retryPause?: Duration;
}

export class Saga {
  private readonly compensations: Compensation[] = [];
  private pivoted = false;

  constructor(private readonly options: SagaOptions) {}

  /** Steps registered before the pivot are undone on failure; after it nothing is undone. */
  addCompensation(step: string, undo: Compensation['undo']): void {
    if (this.pivoted) throw new Error(`compensation for "${step}" registered after the pivot`);
    this.compensations.push({ step, undo });
  }

  /** Marks the point of no return: from here on steps are retried until they succeed. */
  pivot(): void {
    this.pivoted = true;
    this.compensations.length = 0;
  }

  get pending(): string[] {
    return this.compensations.map((c) => c.step);
  }

  /** Undoes every registered step, newest first. Returns the steps undone, in the order they ran. */
  async compensate(): Promise<string[]> {
    const undone: string[] = [];
    await CancellationScope.nonCancellable(async () => {
      while (this.compensations.length > 0) {
        const compensation = this.compensations.pop()!;
        await this.untilDone(compensation);
        undone.push(compensation.step);
      }
    });
    return undone;
  }

  private async untilDone({ step, undo }: Compensation): Promise<void> {
    try {
      await undo('bounded');
      business.compensated(contextOf(), step, 'undone');
      return;
    } catch (err) {
      log.warn('compensation failed; retrying', { step, error: (err as Error).message });
      business.compensated(contextOf(), step, 'stuck');
      await this.options.onStuck(step, err);
    }
    const serverRetries = patched(SERVER_RETRIED_UNDO);
    for (;;) {
      if (!serverRetries) await sleep(this.pause);
      try {
        await undo(serverRetries ? 'patient' : 'bounded');
        business.compensated(contextOf(), step, 'undone');
        return;
      } catch (err) {
        log.warn('compensation failed; retrying', { step, error: (err as Error).message });
        if (serverRetries) await sleep(this.pause);
      }
    }
  }

  private get pause(): Duration {
    return this.options.retryPause ?? '30 seconds';
  }
}
