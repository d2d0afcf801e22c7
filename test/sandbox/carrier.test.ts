import assert from 'node:assert/strict';
import type { Sandbox } from '../../sandbox';
import { admin, startTestSandbox } from '../helpers/sandbox';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('carrier sandbox (tracking)', () => {
  let sandbox: Sandbox;
  let url: string;
  let ops: ReturnType<typeof admin>;

  const track = async (trackingNumber: string, headers: Record<string, string> = { 'x-api-key': 'carrier-sandbox-key' }) => {
    const res = await fetch(`${url}/track/v1/shipments/${trackingNumber}`, { headers });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${url}/__sandbox/carrier${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Json };
  };

  before(async () => {
    sandbox = await startTestSandbox(['carrier']);
    url = sandbox.urls.carrier!;
    ops = admin(url);
  });
  after(async () => sandbox.close());
  beforeEach(async () => ops.reset());

  it('answers 401 in its error dialect without or with a wrong key', async () => {
    const tn = sandbox.world().shipments[0].trackingNumber;
    const missing = await track(tn, {});
    assert.equal(missing.status, 401);
    assert.equal(missing.body.errors[0].code, 'UNAUTHORIZED');
    assert.equal((await track(tn, { 'x-api-key': 'wrong' })).status, 401);
  });

  it('serves the world parcels newest scan first, with status and estimated delivery', async () => {
    const delivered = sandbox.world().shipments.find((s) => s.milestones.some((m) => m.code === 'delivered'))!;
    const res = await track(delivered.trackingNumber);
    assert.equal(res.status, 200);
    assert.equal(res.body.carrier, delivered.carrier);
    assert.equal(res.body.status, 'DELIVERED');
    assert.equal(res.body.events.length, delivered.milestones.length);
    assert.equal(res.body.events[0].code, 'DL');
    assert.equal(res.body.events.at(-1).code, 'MP');
    assert.match(res.body.estimatedDelivery, /^\d{4}-\d{2}-\d{2}$/);
  });

  it('answers 404 for an unknown number until told about the parcel, then follows its scans', async () => {
    const unknown = await track('UPNEW000000001');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.errors[0].code, 'TRACKING_NUMBER_NOT_FOUND');
    const registered = await post('/shipments', { trackingNumber: 'UPNEW000000001', carrier: 'UPS' });
    assert.equal(registered.status, 201);
    assert.equal(registered.body.status, 'PRE_TRANSIT');
    const scanned = await post('/shipments/UPNEW000000001/events', { code: 'PU', location: 'Boston' });
    assert.equal(scanned.status, 201);
    const now = await track('UPNEW000000001');
    assert.equal(now.body.status, 'IN_TRANSIT');
    assert.deepEqual(now.body.events.map((e: Json) => e.code), ['PU', 'MP']);
    assert.equal((await post('/shipments/UPNEW000000001/events', { code: 'ZZ' })).status, 400);
    assert.equal((await ops.ledger({ ref: 'UPNEW000000001' })).count, 2);
  });

  it('writes injected faults in its own dialect', async () => {
    await ops.fault({ kind: 'rate-limit', path: '/track/', retryAfterSeconds: 2, count: 1 });
    const limited = await track(sandbox.world().shipments[0].trackingNumber);
    assert.equal(limited.status, 429);
    assert.equal(limited.body.errors[0].code, 'rate_limited');
  });
});
