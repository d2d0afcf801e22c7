import { CancellationScope, log, sleep } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import { business, contextOf } from './business-signals';

/**
 * Saga bookkeeping for the compensatable → pivot → retriable order (ARCHITECTURE.md).
 *
 * Register a compensation *before* the step that may partly succeed, so a step that timed out
 * after its side effect is still undone; every compensation must therefore be idempotent and
 * harmless when the step never happened. Compensations run in reverse order, inside a
 * non-cancellable scope (a cancelled workflow still undoes its work), and each is retried until it
 * succeeds: after its first failed round the saga escalates once through `onStuck`, it never
 * swallows the failure.
 */
export interface Compensation {
  step: string;
  undo: () => Promise<unknown>;
}

export interface SagaOptions {
  /** Called once per compensation that failed a full round of activity retries. */
  onStuck: (step: string, error: unknown) => Promise<void>;
  /** Pause between rounds of a compensation that keeps failing. */
  retryPause?: Duration;
}

export class Saga {
  private readonly compensations: Compensation[] = [];
  private pivoted = false;

  constructor(private readonly options: SagaOptions) {}

  /** Steps registered before the pivot are undone on failure; after it nothing is undone. */
  addCompensation(step: string, undo: () => Promise<unknown>): void {
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
    let escalated = false;
    for (;;) {
      try {
        await undo();
        business.compensated(contextOf(), step, 'undone');
        return;
      } catch (err) {
        log.warn('compensation failed; retrying', { step, error: (err as Error).message });
        if (!escalated) {
          escalated = true;
          business.compensated(contextOf(), step, 'stuck');
          await this.options.onStuck(step, err);
        }
        await sleep(this.options.retryPause ?? '30 seconds');
      }
    }
  }
}
