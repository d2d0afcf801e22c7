import { buildActivities } from '../../src/activities';
import { replacement } from '../../src/workflows';
import { workflowIds } from '../../src/workflows/lib/case-context';
import { replacementStateQuery, shipmentEventSignal, type ReplacementState, type ShipmentEvent } from '../../src/workflows/replacement';
import type { Recording } from './recording';

const EVENT_TYPES: Record<string, ShipmentEvent['type']> = { RELEASE_PICKED: 'picked', RELEASE_PACKED: 'packed', SHIPPED: 'shipped', DELIVERED: 'delivered' };

/**
 * A replacement with a return, a 2 s shipping window (so the overdue path runs: a look at the warehouse
 * and an escalation), then the parcel shipped and delivered through signals, one of them duplicated.
 */
export const recorder = (): Recording => {
  const workflowId = `${workflowIds.replacement('00010001')}.recorded`;
  return {
    workflowId,
    run: async (client, config, sandbox) => {
      const world = sandbox.world();
      const kase = world.cases.find((c) => c.caseNumber === '00010001')!;
      const order = world.orders.find((o) => o.orderNumber === kase.orderNumber)!;
      const line = order.lines[0];
      const activities = buildActivities(config);
      let caseId: string;
      try {
        caseId = (await activities.salesforce.getCaseByNumber(kase.caseNumber)).caseId;
      } finally {
        activities.close();
      }
      const { salesforce, erp, warehouse, payments } = config.taskQueues;
      const handle = await client.workflow.start(replacement, {
        taskQueue: config.taskQueues.orchestration,
        workflowId,
        args: [
          {
            caseNumber: kase.caseNumber,
            caseId,
            lines: [{ lineNumber: line.lineNumber, quantity: line.quantity }],
            // Every reason brings the goods back, so the history records a return authorization too.
            policy: { replacementShipWithin: '2 seconds', returnRequiredFor: ['delayed-shipment', 'not-received', 'damaged-item', 'wrong-item', 'other'] },
            taskQueues: { salesforce, erp, warehouse, payments },
          },
        ],
      });
      const waitFor = async (predicate: (s: ReplacementState) => boolean): Promise<ReplacementState> => {
        for (let i = 0; i < 300; i++) {
          const state = await handle.query(replacementStateQuery);
          if (predicate(state)) return state;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        throw new Error('the replacement did not get there in 60 s');
      };
      const advance = async (releaseId: string, to: 'shipped' | 'delivered'): Promise<ShipmentEvent[]> => {
        const res = await fetch(`${sandbox.urls.warehouse}/__sandbox/warehouse/releases/${releaseId}/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to }) });
        if (!res.ok) throw new Error(`advance ${releaseId} to ${to}: ${res.status} ${await res.text()}`);
        const body = (await res.json()) as { events: { eventId: string; eventType: string; releaseId: string; trackingNumber?: string; carrierCode?: string; eventTime: string }[] };
        return body.events.map((e) => ({ eventId: e.eventId, type: EVENT_TYPES[e.eventType], releaseId: e.releaseId, trackingNumber: e.trackingNumber, carrier: e.carrierCode, occurredAt: e.eventTime }));
      };

      const { releaseId } = await waitFor((s) => s.escalations.includes('not-shipped-in-time'));
      const shipped = await advance(releaseId!, 'shipped');
      for (const event of [...shipped, shipped[shipped.length - 1]]) await handle.signal(shipmentEventSignal, event);
      await waitFor((s) => s.stage === 'in-transit');
      for (const event of await advance(releaseId!, 'delivered')) await handle.signal(shipmentEventSignal, event);
      await handle.result();
    },
  };
};
