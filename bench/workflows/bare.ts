import { proxyActivities } from '@temporalio/workflow';

/** The baseline: a workflow doing nothing but the same number of no-op activities, in the same shape (parallel batches). */
const { noop } = proxyActivities<{ noop: () => Promise<void> }>({ startToCloseTimeout: '30 seconds' });

export async function bareWorkflow(batches: number[]): Promise<number> {
  let done = 0;
  for (const size of batches) {
    await Promise.all(Array.from({ length: size }, () => noop()));
    done += size;
  }
  return done;
}
