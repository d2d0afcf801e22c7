import assert from 'node:assert/strict';
import type { Sandbox } from '../../sandbox';
import { createCarrierConnector, type CarrierConnector } from '../../src/connectors/carrier';
import type { RetryableDownstreamError } from '../../src/domain/errors';
import { admin, configFor, startTestSandbox } from '../helpers/sandbox';
import { failure } from '../helpers/failures';

describe('carrier connector over HTTP', () => {
  let sandbox: Sandbox;
  let carrier: CarrierConnector;
  let ops: ReturnType<typeof admin>;

  before(async () => {
    sandbox = await startTestSandbox(['carrier']);
    ops = admin(sandbox.urls.carrier!);
    carrier = createCarrierConnector(configFor(sandbox));
  });
  after(async () => {
    carrier.shutdown();
    await sandbox.close();
  });
  beforeEach(async () => ops.reset());

  it('maps carrier scans to canonical milestones, oldest first', async () => {
    const shipment = sandbox.world().shipments.find((s) => s.milestones.length >= 3 && !s.milestones.some((m) => m.code === 'delivered'))!;
    const tracking = await carrier.getTrackingMilestones(shipment.trackingNumber);
    assert.equal(tracking.carrier, shipment.carrier);
    assert.deepEqual(
      tracking.milestones.map((m) => m.code),
      [...shipment.milestones].sort((a, b) => a.at.localeCompare(b.at)).map((m) => m.code),
    );
    assert.equal(tracking.status, tracking.milestones.at(-1)!.code);
    assert.notEqual(tracking.status, 'delivered');
    assert.ok(tracking.estimatedDelivery);
  });

  it('follows a parcel registered later and classifies unknown numbers and faults', async () => {
    assert.equal((await failure(() => carrier.getTrackingMilestones('DHLATER0000001'))).type, 'NotFoundError');
    const post = (path: string, body: unknown) =>
      fetch(`${sandbox.urls.carrier}/__sandbox/carrier${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await post('/shipments', { trackingNumber: 'DHLATER0000001', carrier: 'DHL' });
    await post('/shipments/DHLATER0000001/events', { code: 'DL', location: 'Leeds' });
    const tracking = await carrier.getTrackingMilestones('DHLATER0000001');
    assert.deepEqual(tracking.milestones.map((m) => m.code), ['label_created', 'delivered']);
    assert.equal(tracking.status, 'delivered');

    await ops.fault({ kind: 'rate-limit', path: '/track/', retryAfterSeconds: 3, count: 1 });
    const limited = await failure(() => carrier.getTrackingMilestones('DHLATER0000001'));
    assert.equal(limited.type, 'RateLimitedError');
    assert.equal((limited as RetryableDownstreamError).retryAfterMs, 3000);
    await ops.fault({ kind: 'error', path: '/track/', status: 502, count: 1 });
    assert.equal((await failure(() => carrier.getTrackingMilestones('DHLATER0000001'))).type, 'DownstreamUnavailableError');
  });
});
