import { acknowledgeBatchUpdate, intakeCursor, intakePositionQuery, recordGapUpdate, type HandledEvent } from '../../src/workflows/intake-cursor';
import type { Recording } from './recording';

/** The intake's position for one topic: three acknowledged batches (one repeated), a retention gap caught up by query, then stopped. */
export const recorder = (): Recording => {
  const workflowId = 'intake/recorded/data/CaseChangeEvent';
  return {
    workflowId,
    run: async (client, config) => {
      const handle = await client.workflow.start(intakeCursor, { taskQueue: config.taskQueues.orchestration, workflowId, args: [{ topic: '/data/CaseChangeEvent' }] });
      const event = (n: number, outcome: HandledEvent['outcome']): HandledEvent => ({
        eventId: `evt-${n}`,
        replayId: Buffer.from(`replay-${n}`).toString('base64'),
        outcome,
        caseNumber: `0001000${n}`,
        change: 'UPDATE',
      });
      for (const n of [1, 2, 2, 3]) {
        await handle.executeUpdate(acknowledgeBatchUpdate, { args: [{ replayId: event(n, 'started').replayId, lastCommitAt: new Date().toISOString(), handled: [event(n, n === 2 ? 'skipped' : 'started')] }] });
      }
      await handle.executeUpdate(recordGapUpdate, { args: [{ detectedAt: new Date().toISOString(), since: new Date(Date.now() - 4 * 86_400_000).toISOString(), caughtUp: [event(4, 'existing')] }] });
      await handle.query(intakePositionQuery);
      // The cursor runs for as long as the intake does; the recording stops it here.
      await handle.terminate('recorded');
    },
  };
};
