import { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const T = temporal.api.enums.v1.EventType;

/**
 * Billable actions in one workflow history, as Temporal Cloud counts them (docs/performance.md lists
 * them): the start, every activity attempt (retries count), timers (also the implicit one of a
 * condition with a timeout), signals, accepted updates, search-attribute upserts (one per command),
 * memo upserts, child workflow starts (2 each, as Temporal Cloud counted them when these figures began;
 * its current list counts 1, the child's own start), and local activities (1 per workflow task that ran
 * any). Not counted: patch markers (core_patch) and the SDK's TemporalChangeVersion upsert that goes
 * with them (both exempt), and what a history does not show
 * (heartbeats, queries, rejected updates).
 */
export function billableActions(events: HistoryEvent[]): { total: number; byKind: Record<string, number> } {
  const byKind: Record<string, number> = {};
  const add = (kind: string, n = 1) => (byKind[kind] = (byKind[kind] ?? 0) + n);
  let localActivitiesThisTask = false;
  for (const event of events) {
    switch (event.eventType) {
      case T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        add('workflow start');
        break;
      case T.EVENT_TYPE_ACTIVITY_TASK_STARTED:
        add('activity attempt', event.activityTaskStartedEventAttributes?.attempt ?? 1);
        break;
      case T.EVENT_TYPE_TIMER_STARTED:
        add('timer');
        break;
      case T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        add('signal');
        break;
      case T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
        add('update');
        break;
      case T.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        // The SDK's own upsert of TemporalChangeVersion when a patch is first taken is exempt.
        const fields = Object.keys(event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {});
        if (fields.some((f) => f !== 'TemporalChangeVersion')) add('search attribute upsert');
        break;
      }
      case T.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED:
        add('memo upsert');
        break;
      case T.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        add('child workflow', 2);
        break;
      case T.EVENT_TYPE_MARKER_RECORDED:
        // Local activities are recorded as markers; so are patches, which are not billable.
        if (event.markerRecordedEventAttributes?.markerName !== 'core_local_activity') break;
        if (!localActivitiesThisTask) add('local activities (per workflow task)');
        localActivitiesThisTask = true;
        break;
      case T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        localActivitiesThisTask = false;
        break;
      default:
        break;
    }
  }
  return { total: Object.values(byKind).reduce((a, b) => a + b, 0), byKind };
}

/** Mean, min and max of the totals of several runs' histories. */
export function actionStats(totals: number[]): { runs: number; mean: number; min: number; max: number } {
  if (totals.length === 0) return { runs: 0, mean: NaN, min: NaN, max: NaN };
  return { runs: totals.length, mean: Number((totals.reduce((a, b) => a + b, 0) / totals.length).toFixed(2)), min: Math.min(...totals), max: Math.max(...totals) };
}
