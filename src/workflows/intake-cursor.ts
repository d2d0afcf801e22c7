import { allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { z } from 'zod';
import { parseInput } from './lib/case-facts';
import { acknowledgeBatchUpdate, intakePositionQuery, recordGapUpdate, type HandledEvent, type IntakeCursorInput, type IntakeCursorState } from './intake-cursor/definitions';

export * from './intake-cursor/definitions';

/** Handled events kept for reading back; older ones only count. */
const RECENT_LIMIT = 1000;
/** Updates per run before continuing as new, so history stays small whatever the event rate. */
const UPDATES_PER_RUN = 500;

/**
 * The durable position of one Pub/Sub subscription (intake/{topic}): the replay id after the last
 * handled batch and the commit time behind it. The subscriber acknowledges a batch only after
 * handling it, so a restart resumes right after the last handled event.
 */
/** A topic name as Salesforce spells it; the carried state is the previous run's own (continue-as-new). */
const IntakeCursorInputSchema = z.object({ topic: z.string().regex(/^\/(data|event)\/[A-Za-z0-9_]{1,80}$/), carried: z.looseObject({ topic: z.string() }).optional() });

export async function intakeCursor(rawInput: IntakeCursorInput): Promise<never> {
  const input = parseInput(IntakeCursorInputSchema, rawInput, 'intake cursor input') as IntakeCursorInput;
  const state: IntakeCursorState = input.carried ?? { topic: input.topic, batches: 0, events: 0, recent: [], gaps: [] };
  let updates = 0;
  const remember = (handled: HandledEvent[]) => {
    state.recent.push(...handled);
    if (state.recent.length > RECENT_LIMIT) state.recent.splice(0, state.recent.length - RECENT_LIMIT);
    state.events += handled.length;
  };

  setHandler(intakePositionQuery, () => state);
  setHandler(
    acknowledgeBatchUpdate,
    (batch) => {
      updates += 1;
      // A repeated acknowledgement of the position we hold changes nothing.
      if (batch.replayId === state.replayId) return state;
      state.replayId = batch.replayId;
      if (batch.lastCommitAt) state.lastCommitAt = batch.lastCommitAt;
      state.batches += 1;
      remember(batch.handled);
      return state;
    },
    {
      validator: (batch) => {
        if (!batch.replayId || !/^[A-Za-z0-9+/]+={0,2}$/.test(batch.replayId)) throw new Error('replayId must be base64');
        if (batch.lastCommitAt && Number.isNaN(Date.parse(batch.lastCommitAt))) throw new Error('lastCommitAt must be an ISO time');
      },
    },
  );
  setHandler(
    recordGapUpdate,
    (gap) => {
      updates += 1;
      state.replayId = undefined;
      state.gaps.push({ ...gap, caughtUp: [] });
      if (state.gaps.length > 20) state.gaps.shift();
      state.lastCommitAt = gap.detectedAt;
      remember(gap.caughtUp);
      return state;
    },
    {
      validator: (gap) => {
        if (Number.isNaN(Date.parse(gap.detectedAt))) throw new Error('detectedAt must be an ISO time');
      },
    },
  );

  await condition(() => updates >= UPDATES_PER_RUN || workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  return continueAsNew<typeof intakeCursor>({ topic: input.topic, carried: state });
}
