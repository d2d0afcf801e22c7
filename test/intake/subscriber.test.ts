import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import avro from 'avsc';
import type { Sandbox } from '../../sandbox';
import { intakeCursorId, intakePositionQuery, type IntakeCursorState } from '../../src/workflows/intake-cursor/definitions';
import { workflowIds } from '../../src/workflows/lib/case-context';
import { pubSubClient, pubSubMetadata, unary } from '../helpers/pubsub';
import { admin, startTestSandbox } from '../helpers/sandbox';
import { getTestEnv, getWorkflowBundle, isolatedQueueEnv, runWorkersUntil, testEnvTimeoutMs, uniqueName } from '../helpers/temporal';
import { spawnProductProcess, type WorkerProcess } from '../helpers/worker-process';
import { testDataConverter } from '../helpers/codec';

const CDC = '/data/CaseChangeEvent';
const REQUESTED = '/event/Resolution_Requested__e';
type Json = Record<string, unknown>;

/**
 * The intake (src/starters/intake) as its own OS process against the sandbox's Pub/Sub API and the
 * dev server: killed with SIGKILL in the middle of the stream, cut off beyond retention, and fed
 * resolution requests. The orchestration worker runs in this process (the cursor workflows and the
 * case resolutions it starts); nothing polls the system queues, so started resolutions just wait.
 */
describe('Salesforce intake over the Pub/Sub API', function () {
  this.timeout(180_000);
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundleWithSourceMap;
  let sandbox: Sandbox;
  let token: string;
  const processes: WorkerProcess[] = [];

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    [env, workflowBundle, sandbox] = await Promise.all([getTestEnv(), getWorkflowBundle(), startTestSandbox(['salesforce'])]);
    ({ token } = await pubSubMetadata(sandbox.urls.salesforce!));
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.kill('SIGKILL');
    await admin(sandbox.urls.salesforce!).clearFaults();
  });
  after(async () => {
    await sandbox?.close();
  });

  /** A test's own intake: its queues, its cursor ids, small batches. */
  function intakeSetup() {
    const queues = isolatedQueueEnv('intake');
    const intakeId = uniqueName('intake');
    const spawn = () => {
      const proc = spawnProductProcess('src/starters/intake/main.ts', 'intake subscribed', {
        ...queues,
        TEMPORAL_ADDRESS: env.address,
        TEMPORAL_NAMESPACE: env.namespace ?? 'default',
        SALESFORCE_LOGIN_URL: sandbox.urls.salesforce!,
        PUBSUB_ENDPOINT: sandbox.pubsub!.address,
        INTAKE_ID: intakeId,
        INTAKE_BATCH_SIZE: '2',
        INTAKE_RETRY_DELAY_MS: '200',
        LOG_LEVEL: 'info',
      });
      processes.push(proc);
      return proc;
    };
    const cursor = (topic: string) => env.client.workflow.getHandle(intakeCursorId(topic, intakeId));
    const position = (topic: string): Promise<IntakeCursorState> => cursor(topic).query(intakePositionQuery);
    /** The orchestration worker runs while `drive` does; the first intake process is up and subscribed to both topics. */
    const run = async (drive: (first: WorkerProcess) => Promise<void>) => {
      const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: queues.TASK_QUEUE_ORCHESTRATION, workflowBundle, dataConverter: testDataConverter });
      await runWorkersUntil([worker], async () => {
        const first = spawn();
        await first.ready;
        await subscribedTo(first, 2);
        await drive(first);
      });
    };
    return { spawn, position, run };
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        const value = await probe();
        if (value !== undefined) return value;
      } catch (err) {
        last = err;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
  }
  const subscribedTo = (proc: WorkerProcess, topics: number) => until('the intake to subscribe', async () => ((proc.output().match(/intake subscribed/g) ?? []).length >= topics ? true : undefined));

  async function rest(method: string, path: string, body?: unknown): Promise<Json> {
    const res = await fetch(`${sandbox.urls.salesforce}/services/data/v62.0${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : {}) as Json;
  }
  const openCase = async (fields: Json = {}) => {
    const { id } = (await rest('POST', '/sobjects/Case', { Subject: 'Intake', Status: 'New', Reason: 'Damaged Item', Origin: 'Web', ...fields })) as { id: string };
    const { records } = (await rest('GET', `/query?q=${encodeURIComponent(`SELECT CaseNumber FROM Case WHERE Id = '${id}'`)}`)) as { records: { CaseNumber: string }[] };
    return { id, caseNumber: records[0].CaseNumber };
  };
  const busEvents = async (topic: string) =>
    ((await (await fetch(`${sandbox.urls.salesforce}/__sandbox/pubsub/events?topic=${encodeURIComponent(topic)}`)).json()) as { events: { id: string; payload: Json }[] }).events;
  const resolutionExists = (caseNumber: string) => env.client.workflow.getHandle(workflowIds.caseResolution(caseNumber)).describe();

  it('resumes after a SIGKILL right after the last acknowledged batch: every Case change handled once, none skipped', async () => {
    const setup = intakeSetup();
    await setup.run(async (first) => {
      const before = (await busEvents(CDC)).length;

      // Each Case read takes 1.5 s, so the kill lands with received events not yet handled.
      await admin(sandbox.urls.salesforce!).fault({ kind: 'latency', method: 'GET', path: '/services/data/v62.0/query', latencyMs: 1_500 });
      const matching = [await openCase(), await openCase({ Reason: 'Wrong Item' }), await openCase()];
      const other = await openCase({ Reason: 'Other', Status: 'Working' });
      // An update the rule does not read (Subject) is passed over without reading the Case.
      await rest('PATCH', `/sobjects/Case/${other.id}`, { Subject: 'Still other' });
      const late = await openCase({ Status: 'Working' });
      await rest('PATCH', `/sobjects/Case/${late.id}`, { Status: 'New' });
      const published = (await busEvents(CDC)).slice(before);
      assert.equal(published.length, 7);

      await until('a first acknowledged batch', async () => ((await setup.position(CDC)).batches >= 1 ? true : undefined));
      await first.kill('SIGKILL');
      const afterKill = await setup.position(CDC);
      assert.ok(afterKill.events < 7, `the kill came before the end of the stream (${afterKill.events} handled)`);
      await admin(sandbox.urls.salesforce!).clearFaults();

      const second = setup.spawn();
      await second.ready;
      const state = await until('every change acknowledged', async () => {
        const s = await setup.position(CDC);
        return s.events >= 7 ? s : undefined;
      });
      await new Promise((r) => setTimeout(r, 1_000));
      const final = await setup.position(CDC);
      assert.equal(final.events, 7, 'nothing acknowledged twice');
      assert.deepEqual(state.recent.map((h) => h.eventId), published.map((e) => e.id), 'every event once, in bus order');

      const byCase = (caseNumber: string) => final.recent.filter((h) => h.caseNumber === caseNumber);
      for (const kase of matching) assert.equal(byCase(kase.caseNumber).filter((h) => h.outcome !== 'skipped').length, 1, `one start for ${kase.caseNumber}`);
      // The Case is read when its event is handled: by then the late one is New already, so its CREATE and UPDATE both match.
      assert.deepEqual(byCase(late.caseNumber).map((h) => h.change), ['CREATE', 'UPDATE']);
      assert.ok(byCase(late.caseNumber).filter((h) => h.outcome === 'started').length <= 1);
      for (const kase of [...matching, late]) assert.equal((await resolutionExists(kase.caseNumber)).status.name, 'RUNNING');
      const otherEvents = final.recent.filter((h) => h.recordId === other.id);
      assert.deepEqual(otherEvents.map((h) => [h.change, h.outcome]), [['CREATE', 'skipped'], ['UPDATE', 'skipped']]);
      assert.equal(otherEvents[1].caseNumber, undefined, 'a Subject change never reads the Case');
      await assert.rejects(resolutionExists(other.caseNumber), /not found/i);
      // Handled-but-unacknowledged events are handled again after the restart; the start is idempotent.
      const handledLines = (p: WorkerProcess) => p.output().split('\n').filter((l) => l.includes('"intake event"') && l.includes(CDC)).length;
      assert.ok(handledLines(first) + handledLines(second) >= 7);
    });
  });

  it('detects a gap beyond retention, alerts, catches up by query and continues from LATEST', async () => {
    const setup = intakeSetup();
    await setup.run(async (first) => {
      // LATEST begins where the server registers the subscription, a moment after the intake logs it; a
      // change in that moment is never delivered (as in Salesforce), so another case is opened if none arrives.
      let seen = await openCase();
      for (let tries = 1; ; tries++) {
        const acknowledged = await until('the first change acknowledged', async () => ((await setup.position(CDC)).events >= 1 ? true : undefined), 15_000).then(
          () => true,
          (err: unknown) => {
            if (tries >= 4) throw err;
            return false;
          },
        );
        if (acknowledged) break;
        seen = await openCase();
      }
      await first.kill('SIGKILL');

      // While the intake is down, two cases arrive and their events outlive the retention.
      const missed = [await openCase(), await openCase({ Reason: 'Not Received' })];
      const ignored = await openCase({ Reason: 'Other' });
      await fetch(`${sandbox.urls.salesforce}/__sandbox/pubsub/expire`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });

      const second = setup.spawn();
      await second.ready;
      const state = await until('the gap caught up', async () => {
        const s = await setup.position(CDC);
        return s.gaps.length ? s : undefined;
      });
      assert.ok(second.output().split('\n').some((l) => l.includes('"event":"alert"') && l.includes(CDC)), 'one alert for the gap');
      const caughtUp = state.recent.filter((h) => h.change === 'catch-up');
      for (const kase of missed) {
        assert.equal(caughtUp.find((h) => h.caseNumber === kase.caseNumber)?.outcome, 'started');
        assert.equal((await resolutionExists(kase.caseNumber)).status.name, 'RUNNING');
      }
      assert.equal(caughtUp.find((h) => h.caseNumber === ignored.caseNumber)?.outcome, 'skipped');
      assert.equal(state.replayId, undefined, 'the subscription starts over at LATEST');
      assert.ok(seen.caseNumber);

      // Live again: a new case is handled from the stream, and its replay id is the new position.
      await subscribedTo(second, 3);
      const live = await openCase();
      const after = await until('the live change', async () => {
        const s = await setup.position(CDC);
        return s.recent.some((h) => h.caseNumber === live.caseNumber && h.change === 'CREATE') ? s : undefined;
      });
      assert.ok(after.replayId);
      assert.equal((await resolutionExists(live.caseNumber)).status.name, 'RUNNING');
    });
  });

  it('starts a case resolution for every Resolution_Requested__e, whatever the rule says, also across a revoked session', async () => {
    const setup = intakeSetup();
    await setup.run(async (first) => {
      const publish = async (caseNumber: string) => {
        const { metadata } = await pubSubMetadata(sandbox.urls.salesforce!);
        const client = pubSubClient(sandbox.pubsub!.address);
        try {
          const topic = await unary<{ schema_id: string }>(client, 'GetTopic', { topic_name: REQUESTED }, metadata);
          const schema = await unary<{ schema_json: string }>(client, 'GetSchema', { schema_id: topic.schema_id }, metadata);
          const payload = avro.Type.forSchema(JSON.parse(schema.schema_json) as avro.Schema).toBuffer({ CreatedDate: Date.now(), CreatedById: '005000000000001AAA', CaseNumber__c: caseNumber, Requested_By__c: 'agent.jones' });
          await unary(client, 'Publish', { topic_name: REQUESTED, events: [{ id: uniqueName('req'), schema_id: topic.schema_id, payload }] }, metadata);
        } finally {
          client.close();
        }
      };
      const handled = (n: number) =>
        until(`${n} request(s) handled`, async () => {
          const s = await setup.position(REQUESTED);
          return s.events >= n ? s : undefined;
        });
      const kase = await openCase({ Reason: 'Other', Status: 'Working' });
      await publish(kase.caseNumber);
      const state = await handled(1);
      assert.deepEqual(state.recent.map((h) => [h.caseNumber, h.change, h.outcome]), [[kase.caseNumber, 'request', 'started']]);
      assert.equal((await resolutionExists(kase.caseNumber)).status.name, 'RUNNING');

      // Every session is revoked: the intake's next FetchRequest is refused, it renews its session and resumes after its last batch.
      await fetch(`${sandbox.urls.salesforce}/__sandbox/salesforce/expire-tokens`, { method: 'POST' });
      ({ token } = await pubSubMetadata(sandbox.urls.salesforce!));
      const more = [await openCase({ Reason: 'Other' }), await openCase({ Reason: 'Other' })];
      for (const k of more) await publish(k.caseNumber);
      const after = await handled(3);
      assert.deepEqual(after.recent.map((h) => h.caseNumber), [kase.caseNumber, ...more.map((k) => k.caseNumber)]);
      for (const k of more) assert.equal((await resolutionExists(k.caseNumber)).status.name, 'RUNNING');
      assert.ok(first.output().includes('intake stream failed'), `the refused FetchRequest was seen:\n${first.output().split('\n').filter((l) => l.includes(REQUESTED)).join('\n')}`);
    });
  });
});
