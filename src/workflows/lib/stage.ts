import { log, patched, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { Stage } from '../search-attributes';

/**
 * Moves the process to a business stage: the Stage search attribute (so the Web UI and
 * `retailctl list` can filter on it), the current details shown on the workflow's page, and a log line.
 */
export function enterStage(stage: string, details?: string): void {
  upsertSearchAttributes([{ key: Stage, value: stage }]);
  setCurrentDetails(details ? `**${stage}**: ${details}` : `**${stage}**`);
  log.info('stage', { stage, details });
}

/** Runs started before this patch upsert Stage at every stage and write each milestone in separate calls; their replays must do the same. */
export const FEWER_ACTIONS_PATCH = 'fewer-actions';

/**
 * Stages for a process whose Stage search attribute is upserted only where operators filter: the
 * stages given (waiting for a person, undoing, the outcomes) and the stage after leaving one of them,
 * so the attribute never claims a wait that is over. Every stage still shows in the Web UI's current
 * details, the state query and the log; each upsert is a billable action, details are not.
 */
export function stagesFilteredOn(filtered: readonly string[]): (stage: string, details?: string) => void {
  let upserted: string | undefined;
  return (stage, details) => {
    if (!patched(FEWER_ACTIONS_PATCH)) return enterStage(stage, details);
    if (filtered.includes(stage) || (upserted !== undefined && filtered.includes(upserted))) {
      upsertSearchAttributes([{ key: Stage, value: stage }]);
      upserted = stage;
    }
    setCurrentDetails(details ? `**${stage}**: ${details}` : `**${stage}**`);
    log.info('stage', { stage, details });
  };
}
