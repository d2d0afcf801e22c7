import { msToNumber } from '@temporalio/common/lib/time';
import { sleep } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';

/**
 * Waits for the rest of a burst to join one write: one base window when the entity is quiet; while
 * events keep arriving (`received` grows) the wait doubles, up to `maxWindow` in all, so a flash
 * sale's hundred changes cost one downstream write instead of one per base window.
 */
export async function coalesceBurst(received: () => number, window: Duration, maxWindow: Duration): Promise<void> {
  const limit = msToNumber(maxWindow);
  let step = Math.min(msToNumber(window), limit);
  for (let waited = 0; ; ) {
    const before = received();
    await sleep(step);
    waited += step;
    if (received() === before || waited >= limit) return;
    step = Math.min(step * 2, limit - waited);
  }
}
