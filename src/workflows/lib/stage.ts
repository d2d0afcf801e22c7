import { log, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
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
