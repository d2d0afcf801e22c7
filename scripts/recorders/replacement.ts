import { buildActivities } from '../../src/activities';
import { replacement } from '../../src/workflows';
import { workflowIds } from '../../src/workflows/lib/case-context';
import { replacementStateQuery, shipmentEventSignal, type ReplacementState, type ShipmentEvent } from '../../src/workflows/replacement';
import { admin } from '../../test/helpers/sandbox';
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
      // A 2 s shipping window, so the overdue path runs: a look at the warehouse and an escalation.
      const { handle, until: waitFor } = await startReplacement(client, config, sandbox, workflowId, { wholeLine: true, policy: { replacementShipWithin: '2 seconds' } });
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

/** Starts a replacement of case 00010001's first line (one item, or the whole line; goods come back) and offers a wait for a state. */
async function startReplacement(client: Parameters<Recording['run']>[0], config: Parameters<Recording['run']>[1], sandbox: Parameters<Recording['run']>[2], workflowId: string, options: { wholeLine?: boolean; policy?: object } = {}) {
  const kase = sandbox.world().cases.find((c) => c.caseNumber === '00010001')!;
  const order = sandbox.world().orders.find((o) => o.orderNumber === kase.orderNumber)!;
  const activities = buildActivities(config);
  let caseId: string;
  try {
    caseId = (await activities.salesforce.getCaseByNumber(kase.caseNumber)).caseId;
  } finally {
    await activities.close();
  }
  const { salesforce, erp, warehouse, payments } = config.taskQueues;
  const handle = await client.workflow.start(replacement, {
    taskQueue: config.taskQueues.orchestration,
    workflowId,
    args: [
      {
        caseNumber: kase.caseNumber,
        caseId,
        lines: [{ lineNumber: order.lines[0].lineNumber, quantity: options.wholeLine ? order.lines[0].quantity : 1 }],
        // Every reason brings the goods back, so the history records a return authorization too.
        policy: { ...options.policy, returnRequiredFor: ['delayed-shipment', 'not-received', 'damaged-item', 'wrong-item', 'other'] },
        taskQueues: { salesforce, erp, warehouse, payments },
      },
    ],
  });
  const until = async (predicate: (s: ReplacementState) => boolean): Promise<ReplacementState> => {
    for (let i = 0; i < 300; i++) {
      const state = await handle.query(replacementStateQuery);
      if (predicate(state)) return state;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error('the replacement did not get there in 60 s');
  };
  return { handle, until };
}

export const paths: Record<string, () => Recording> = {
  /** The warehouse refuses the release (the pivot): the RMA, the replacement order and the reservation are undone, newest first. */
  'release-refused': () => {
    const workflowId = `${workflowIds.replacement('00010001')}.recorded-release-refused`;
    return {
      workflowId,
      run: async (client, config, sandbox) => {
        await admin(sandbox.urls.warehouse!).fault({ kind: 'error', method: 'POST', path: '/wms/v1/releases', status: 422, message: 'release refused for the recording' });
        const { handle } = await startReplacement(client, config, sandbox, workflowId);
        await handle.result().catch(() => undefined);
      },
    };
  },
  /** Cancelled after the release, before the parcel ships: the release is withdrawn, then the rest undone. */
  'cancelled-after-pivot': () => {
    const workflowId = `${workflowIds.replacement('00010001')}.recorded-cancelled`;
    return {
      workflowId,
      run: async (client, config, sandbox) => {
        const { handle, until } = await startReplacement(client, config, sandbox, workflowId);
        await until((s) => s.stage === 'awaiting-shipment');
        await handle.cancel();
        await handle.result();
      },
    };
  },
};
