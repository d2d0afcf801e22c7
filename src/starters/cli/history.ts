import type { temporal } from '@temporalio/proto';
import { temporal as proto } from '@temporalio/proto';

const EventType = proto.api.enums.v1.EventType;

/** Events that mean a step went wrong: an activity, a child, a workflow task (a code bug) or the run itself failed or timed out. */
const failureTypes = new Set<number>([
  EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
  EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
  EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
  EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED,
  EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
]);

export interface ResetPoint {
  /** The WorkflowTaskCompleted event the new run continues from. */
  eventId: number;
  failedEventId: number;
  failedEventType: string;
}

/**
 * Where to reset so the failed step runs again: the last WorkflowTaskCompleted before the first
 * failure event (the task that scheduled the step). Undefined when nothing failed or no task completed before.
 */
export function resetPointOf(history: temporal.api.history.v1.IHistory): ResetPoint | undefined {
  const events = history.events ?? [];
  const failed = events.find((e) => e.eventType != null && failureTypes.has(e.eventType));
  if (!failed) return undefined;
  const failedEventId = Number(failed.eventId);
  const completed = events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED && Number(e.eventId) < failedEventId).pop();
  if (!completed) return undefined;
  return { eventId: Number(completed.eventId), failedEventId, failedEventType: EventType[failed.eventType!].replace('EVENT_TYPE_', '') };
}
