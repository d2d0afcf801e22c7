import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Sandbox } from '../../sandbox';
import { admin, freePort, sandboxUrlEnv, startTestSandbox } from '../helpers/sandbox';
import { getTestEnv, isolatedQueueEnv, testEnvTimeoutMs } from '../helpers/temporal';
import { spawnProductProcess, spawnWorkerProcess, type WorkerProcess } from '../helpers/worker-process';
import { noApproval, paidByCard, returnable } from '../workflows/refund-harness';

/**
 * The product scaled out on a real cluster (`npm run test:cluster`: the Temporal server on PostgreSQL
 * with several history shards): two API processes and two worker processes, as a deployment runs them.
 * Runs only with RUN_CLUSTER_TESTS set, since the dev server proves none of this.
 */
const paymentsLimit = 2;

describe('scale-out on a Temporal cluster: two API instances, two workers', function () {
  this.timeout(300_000);
  let env: TestWorkflowEnvironment;
  let sandbox: Sandbox;
  const processes: WorkerProcess[] = [];

  before(async function () {
    if (!process.env.RUN_CLUSTER_TESTS) this.skip();
    this.timeout(testEnvTimeoutMs);
    [env, sandbox] = await Promise.all([getTestEnv(), startTestSandbox()]);
  });
  after(async () => {
    for (const p of processes) await p.kill('SIGKILL');
    await sandbox?.close();
  });

  it('one process per Idempotency-Key across instances; the payments rate limit holds across workers; a SIGKILLed worker leaves no duplicate', async () => {
    const apiKey = 'cluster-test-key';
    const productEnv = {
      ...isolatedQueueEnv('scale'),
      ...sandboxUrlEnv(sandbox),
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: env.namespace ?? 'default',
      RATE_LIMIT_PAYMENTS: String(paymentsLimit),
      RESOLUTION_POLICY: JSON.stringify({ ...noApproval, returnRequiredFor: [] }),
      RETAIL_API_KEY: apiKey,
      API_HOST: '127.0.0.1',
    };
    const apiPorts = [await freePort(), await freePort()];
    const apis = apiPorts.map((port) => spawnProductProcess('src/starters/http/main.ts', 'HTTP API listening', { ...productEnv, API_PORT: String(port) }));
    processes.push(...apis);
    await Promise.all(apis.map((a) => a.ready));
    const post = async (instance: number, body: unknown, idempotencyKey?: string) => {
      const res = await fetch(`http://127.0.0.1:${apiPorts[instance]}/v1/refunds`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey, ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as { workflowId?: string; type?: string } };
    };

    // Cases whose refund needs no return and is paid by card: each ends in one payment refund.
    const world = sandbox.world();
    const caseNumbers = world.cases
      .filter((c) => {
        const order = world.orders.find((o) => o.orderNumber === c.orderNumber);
        return order && paidByCard(order, world) && returnable(order, world);
      })
      .map((c) => c.caseNumber)
      .slice(0, 10);
    assert.ok(caseNumbers.length >= 6, `only ${caseNumbers.length} refundable cases in the seed`);

    // The cluster keeps its state between runs: a refund closed by an earlier run would never start again.
    await forgetEarlierRuns(env, caseNumbers.map((c) => `refund/${c}`));
    const runStart = new Date();

    // The workers are not up yet: the starts wait on the cluster, and every payments request after
    // this point comes from the workers' activities, not from the API's fact reads.
    const [first, ...rest] = caseNumbers;
    const sameKey = await Promise.all([post(0, { caseNumber: first }, `refund-${first}`), post(1, { caseNumber: first }, `refund-${first}`)]);
    for (const answer of sameKey) assert.equal(answer.status, 202, JSON.stringify(answer.body));
    assert.equal(sameKey[0].body.workflowId, sameKey[1].body.workflowId, 'both instances name the same process');
    const others = await Promise.all(rest.map((caseNumber, i) => post(i % 2, { caseNumber })));
    const started = [sameKey[0].body.workflowId!, ...others.filter((a) => a.status === 202).map((a) => a.body.workflowId!)];
    assert.ok(started.length >= 6, `starts refused: ${JSON.stringify(others.filter((a) => a.status !== 202).map((a) => a.body))}`);
    // Started since this run began: an earlier run's deleted record may linger in visibility for a moment.
    const query = `WorkflowId = '${sameKey[0].body.workflowId}' AND StartTime >= '${runStart.toISOString()}'`;
    let runs = 0;
    for (const deadline = Date.now() + 10_000; runs === 0 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      runs = 0;
      for await (const _ of env.client.workflow.list({ query })) runs++;
    }
    assert.equal(runs, 1, 'one process for the key sent to both instances');

    const payments = admin(sandbox.urls.payments!);
    const loadStart = Date.now();
    const workers = [spawnWorkerProcess(productEnv), spawnWorkerProcess(productEnv)];
    processes.push(...workers);
    await Promise.all(workers.map((w) => w.ready));

    // Kill one worker once the payment refunds are under way; the other finishes the work.
    const deadline = Date.now() + 60_000;
    while ((await payments.ledger({ kind: 'refund.created' })).count < 2) {
      assert.ok(Date.now() < deadline, 'no payment refund within 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    await workers[0].kill('SIGKILL');
    const killedWith = (await payments.ledger({ kind: 'refund.created' })).count;

    const results = await Promise.all(started.map((id) => env.client.workflow.getHandle(id).result() as Promise<{ status: string }>));
    for (const r of results) assert.equal(r.status, 'refunded');
    assert.ok(killedWith < started.length, `the kill came after every refund (${killedWith}); the test proved nothing about failover`);

    // No duplicate side effect: one payment refund per process, each with its own idempotency key.
    const refunds = (await payments.ledger({ kind: 'refund.created' })).entries;
    assert.equal(refunds.length, started.length, 'one payment refund per process');
    assert.equal(new Set(refunds.map((r) => r.idempotencyKey)).size, refunds.length, 'no key refunded twice');

    // The queue's rate limit holds across both workers: activity requests per sliding second.
    const { requests } = await payments.requests(loadStart);
    const times = requests.map((r) => r.at).sort((a, b) => a - b);
    let worstWindow = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i] - times[j] >= 1_000) j++;
      worstWindow = Math.max(worstWindow, i - j + 1);
    }
    const spanSeconds = (times.at(-1)! - times[0]) / 1_000;
    // One burst of `limit` is allowed at the start; after it, no more than the limit per second.
    const sustained = (times.length - paymentsLimit) / spanSeconds;
    assert.ok(times.length >= started.length * 2, `${times.length} payments requests for ${started.length} refunds`);
    assert.ok(worstWindow <= paymentsLimit * 2, `${worstWindow} payments requests in one second (limit ${paymentsLimit}/s with its burst)`);
    assert.ok(sustained <= paymentsLimit * 1.15, `${sustained.toFixed(2)} payments requests/s sustained (limit ${paymentsLimit}/s)`);
  });
});

/** Deletes the closed processes an earlier run left under these ids, and waits until each id is free. */
async function forgetEarlierRuns(env: TestWorkflowEnvironment, workflowIds: string[]): Promise<void> {
  const namespace = env.namespace ?? 'default';
  for (const workflowId of workflowIds) {
    try {
      await env.client.workflowService.deleteWorkflowExecution({ namespace, workflowExecution: { workflowId } });
    } catch (err) {
      if (err instanceof Error && /not found/i.test(err.message)) continue;
      throw err;
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await env.client.workflow.getHandle(workflowId).describe();
      } catch {
        break;
      }
      assert.ok(Date.now() < deadline, `${workflowId} still exists 30 s after its deletion`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
