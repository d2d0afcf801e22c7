import assert from 'node:assert/strict';
import type { OrderEvent } from '../../src/domain/order-event';
import { OrderDeliveryQueue } from '../../src/starters/http/events/deliveries';

const event = (orderNumber: string, sequence: number): OrderEvent => ({ eventId: `evt-${orderNumber}-${sequence}`, source: 'erp', type: 'order.status_changed', orderNumber, sequence, status: 'shipped', occurredAt: '2026-11-30T08:00:00Z' });

/** The API's shared signal-with-start lanes: concurrent requests' events for a waiting order share its call. */
describe('order delivery queue', () => {
  it('joins events for an order still waiting for a lane, keeps at most `lanes` calls in flight, and settles each request when its own events were sent', async () => {
    const calls: { orderNumber: string; events: string[] }[] = [];
    let inFlight = 0;
    let peak = 0;
    const queue = new OrderDeliveryQueue(async (orderNumber, events) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      calls.push({ orderNumber, events: events.map((e) => e.eventId) });
      inFlight -= 1;
    }, 2, 500);
    const orders = Array.from({ length: 10 }, (_, i) => `SO-${i}`);
    // Three requests at once, each with one event per order.
    await Promise.all([1, 2, 3].map((request) => Promise.all(orders.map((n) => queue.deliver(n, [event(n, request)])))));
    assert.equal(peak, 2);
    // The first two orders left at once (the later two requests' events for them shared a second call); every other order's three events went in one call.
    assert.equal(calls.length, 2 * 2 + 8);
    for (const n of orders.slice(0, 2)) assert.deepEqual(calls.filter((c) => c.orderNumber === n).map((c) => c.events), [[`evt-${n}-1`], [`evt-${n}-2`, `evt-${n}-3`]]);
    for (const n of orders.slice(2)) assert.deepEqual(calls.filter((c) => c.orderNumber === n).map((c) => c.events), [[`evt-${n}-1`, `evt-${n}-2`, `evt-${n}-3`]]);
    assert.deepEqual(calls.flatMap((c) => c.events).sort(), orders.flatMap((n) => [1, 2, 3].map((r) => `evt-${n}-${r}`)).sort(), 'every event sent once');
  });

  it('starts a new call for an order once the waiting one holds as many events as one request may send', async () => {
    const calls: number[] = [];
    const queue = new OrderDeliveryQueue(async (_n, events) => {
      await new Promise((r) => setTimeout(r, 5));
      calls.push(events.length);
    }, 1, 3);
    await Promise.all([queue.deliver('SO-BUSY', [event('SO-BUSY', 0)]), ...[1, 2, 3, 4, 5].map((i) => queue.deliver('SO-X', [event('SO-X', i)]))]);
    assert.deepEqual(calls, [1, 3, 2]);
  });

  it('fails every request whose events were in a failed call, and only those', async () => {
    const queue = new OrderDeliveryQueue(async (orderNumber) => {
      await new Promise((r) => setTimeout(r, 5));
      if (orderNumber === 'SO-BAD') throw new Error('server unavailable');
    }, 1, 500);
    const [ok, bad, joined, other] = await Promise.allSettled([
      queue.deliver('SO-OK', [event('SO-OK', 1)]),
      queue.deliver('SO-BAD', [event('SO-BAD', 1)]),
      queue.deliver('SO-BAD', [event('SO-BAD', 2)]),
      queue.deliver('SO-OTHER', [event('SO-OTHER', 1)]),
    ]);
    assert.equal(ok.status, 'fulfilled');
    assert.deepEqual([bad.status, joined.status, other.status], ['rejected', 'rejected', 'fulfilled']);
  });

  it('admits a request while the backlog stays within its bound (always when nothing waits), and estimates the wait from the drain rate', async () => {
    let clock = 0;
    const release: (() => void)[] = [];
    const queue = new OrderDeliveryQueue(() => new Promise<void>((r) => release.push(r)), 1, 500, 10, () => clock);
    assert.equal(queue.admit(50), undefined, 'nothing waits: even a request beyond the bound is admitted');
    const first = Array.from({ length: 6 }, (_, i) => queue.deliver(`SO-${i}`, [event(`SO-${i}`, 1), event(`SO-${i}`, 2)]));
    // One call in flight (SO-0's 2 events), 10 events waiting.
    assert.equal(queue.backlog, 10);
    assert.equal(queue.admit(0), undefined);
    // Nothing drained yet: the wait is the excess at the floor rate of 1 event/s, at most 60 s.
    assert.deepEqual(queue.admit(4), { retryAfterSeconds: 4 });
    assert.deepEqual(queue.admit(500), { retryAfterSeconds: 60 });
    // Three calls finish within the window: 6 events in 10 s = 0.6/s, counted as the floor of 1/s.
    for (let i = 0; i < 3; i++) {
      clock += 100;
      release.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(queue.backlog, 4);
    assert.equal(queue.admit(6), undefined, 'the backlog went down: 4 + 6 fits');
    assert.deepEqual(queue.admit(26), { retryAfterSeconds: 20 });
    while (release.length) {
      release.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(first);
    assert.equal(queue.backlog, 0);
  });
});
