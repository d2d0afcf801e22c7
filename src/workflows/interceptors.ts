import { defaultPayloadConverter } from '@temporalio/common';
import { ContinueAsNew, isCancellation, workflowInfo, type WorkflowInterceptors } from '@temporalio/workflow';
import { approvalWaitMs, business, businessContextHeader, contextOf } from './lib/business-signals';

type OrderEventTime = { occurredAt?: unknown } | undefined;

/**
 * Business measurement around every workflow without touching its commands: how long each process
 * ran and how it ended (by region, store, segment and channel from its search attributes), and the
 * business context every activity carries in a header so its latency and spans are labelled alike.
 */
export const interceptors = (): WorkflowInterceptors => {
  // Order sync: when each event not yet written to Salesforce happened, oldest first (the SLO's start).
  const unwritten: number[] = [];
  const outcomeOf = (result: unknown) =>
    typeof result === 'object' && result !== null && typeof (result as { status?: unknown }).status === 'string' ? (result as { status: string }).status : 'completed';
  const close = (outcome: string) => {
    const seconds = (Date.now() - workflowInfo().startTime.getTime()) / 1000;
    const { caseNumber: _c, orderNumber: _o, ...context } = contextOf();
    business.processClosed(context, outcome, seconds, approvalWaitMs() / 1000);
  };
  return {
    inbound: [
      {
        async execute(input, next) {
          try {
            const result = await next(input);
            close(outcomeOf(result));
            return result;
          } catch (err) {
            // A continue-as-new is the same process going on, not an end.
            if (!(err instanceof ContinueAsNew)) close(isCancellation(err) ? 'cancelled' : 'failed');
            throw err;
          }
        },
        handleSignal(input, next) {
          // orderEvent's arguments are the events themselves (a batch is several arguments).
          if (input.signalName === 'orderEvent') {
            for (const e of input.args as OrderEventTime[]) {
              const at = typeof e?.occurredAt === 'string' ? Date.parse(e.occurredAt) : NaN;
              if (Number.isFinite(at)) unwritten.push(at);
            }
          }
          return next(input);
        },
      },
    ],
    outbound: [
      {
        // Not async: the SDK captures a stack trace for every promise a workflow creates, so a wrapper adds cost to every call.
        scheduleActivity(input, next) {
          const covered = input.activityType === 'upsertSalesforceOrderStatus' ? unwritten.length : 0;
          const oldestEventAt = covered ? Math.min(...unwritten) : undefined;
          const header = defaultPayloadConverter.toPayload({ ...contextOf(), ...(oldestEventAt ? { oldestEventAt } : {}) });
          const scheduled = next({ ...input, headers: { ...input.headers, [businessContextHeader]: header } });
          if (!covered) return scheduled;
          // Written: those events are visible in Salesforce now; later ones wait for the next write.
          return scheduled.then((result) => {
            unwritten.splice(0, covered);
            return result;
          });
        },
        scheduleLocalActivity(input, next) {
          return next({ ...input, headers: { ...input.headers, [businessContextHeader]: defaultPayloadConverter.toPayload(contextOf()) } });
        },
      },
    ],
  };
};
