import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { testEnvTimeoutMs } from '../helpers/temporal';
import { assertProblem, keys, startApiWorld, type ApiWorld, type Reply } from './api-world';

/** Sends the request target as written (fetch would resolve `.` and `..` segments before sending). */
function raw(url: string, method: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const req = httpRequest({ hostname, port, path, method, headers: { 'x-api-key': keys.ops, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') responseHeaders.set(name, value);
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          // not JSON: the assertion shows the text
        }
        resolve({ status: res.statusCode ?? 0, headers: responseHeaders, body, text });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The API's edges answer as problems with the request id, like its routes. */
describe('HTTP API: edges', function () {
  this.timeout(30_000);
  let world: ApiWorld;

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    world = await startApiWorld({ sandbox: false, api: { requestTimeoutMs: 1500 } });
  });
  after(async () => {
    await world?.close();
  });

  it('answers a documented 400 for an over-long id and 414 for an over-long URL', async () => {
    assertProblem(await world.call('GET', `/v1/processes/refund%2F${'9'.repeat(600)}`), 400, 'validation');
    assertProblem(await world.call('GET', `/v1/processes/refund%2F1?note=${'x'.repeat(5000)}`), 414, 'uri-too-long');
  });

  it('cuts off a client that sends its headers or its body a byte at a time with 408, past API_REQUEST_TIMEOUT_MS, and keeps serving others', async () => {
    const { hostname, port } = new URL(world.url);
    const dribble = (head: string, rest: string) =>
      new Promise<{ answer: string; ms: number }>((resolve, reject) => {
        const started = Date.now();
        const socket = connect(Number(port), hostname, () => socket.write(head));
        let answer = '';
        let sent = 0;
        // A byte every 200 ms: never idle, never done.
        const timer = setInterval(() => sent < rest.length && socket.write(rest[sent++]), 200);
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => (answer += chunk));
        socket.on('close', () => {
          clearInterval(timer);
          resolve({ answer, ms: Date.now() - started });
        });
        socket.on('error', (err) => {
          clearInterval(timer);
          reject(err);
        });
      });
    const body = JSON.stringify({ caseNumber: '00010001', reason: 'damaged-item' });
    const slowBody = dribble(`POST /v1/refunds HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nX-API-Key: ${keys.flow}\r\n\r\n`, body);
    const slowHeaders = dribble('GET /healthz HTTP/1.1\r\n', `Host: ${hostname}\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`);
    // Others are served meanwhile.
    const meanwhile = await world.call('GET', '/healthz');
    assert.equal(meanwhile.status, 200);
    for (const { answer, ms } of await Promise.all([slowBody, slowHeaders])) {
      assert.match(answer, /^HTTP\/1\.1 408 /, answer);
      assert.ok(ms >= 1400 && ms < 10_000, `cut off after ${ms} ms`);
    }
  });

  it('answers 405 with Allow for a known path and another method', async () => {
    const onProcess = await world.call('DELETE', '/v1/processes/refund%2F00010001');
    assertProblem(onProcess, 405, 'method-not-allowed');
    assert.equal(onProcess.headers.get('allow'), 'GET, HEAD');
    const onCaseApproval = await world.call('PUT', '/v1/cases/00010001/approval', { body: { decision: 'approve' } });
    assertProblem(onCaseApproval, 405, 'method-not-allowed');
    assert.equal(onCaseApproval.headers.get('allow'), 'POST');
    assert.equal((await world.call('GET', '/v1/refunds')).headers.get('allow'), 'POST');
  });

  it('answers 404 for an unknown path, as problem+json when Accept asks for it', async () => {
    assertProblem(await world.call('GET', '/v1/nowhere'), 404, 'not-found');
    assertProblem(await world.call('GET', '/v1/nowhere', { headers: { accept: 'application/problem+json' } }), 404, 'not-found', 'application/problem+json');
    assertProblem(await world.call('GET', '/v1/nowhere', { headers: { accept: 'application/json, application/problem+json;q=0.5' } }), 404, 'not-found');
    const echoed = await world.call('GET', '/v1/nowhere', { headers: { 'x-request-id': 'flow-run-42' } });
    assert.equal(echoed.body.requestId, 'flow-run-42');
    // A malformed escape never reaches a route: the router's refusal is a problem too.
    assertProblem(await raw(world.url, 'GET', '/v1/processes/refund%E0%A4%A'), 400, 'validation');
  });

  it('refuses `.` and `..` as ids and case numbers, in any encoding, before a process is looked up', async () => {
    for (const [method, path] of [
      ['GET', '/v1/processes/..'],
      ['GET', '/v1/processes/.'],
      ['GET', '/v1/processes/%2E%2E'],
      ['GET', '/v1/processes/%2e'],
      ['GET', '/v1/processes/refund%2F..'],
      ['GET', '/v1/processes/refund%2F.%2F00010001'],
      ['POST', '/v1/processes/..%2Frefund%2F00010001/cancel'],
      ['GET', '/v1/cases/..'],
      ['POST', '/v1/cases/%2E%2E/cancel'],
      ['POST', '/v1/cases/./approval'],
      ['GET', '/v1/orders/%2E%2E/overview'],
    ] as const) {
      // An unknown id would be a 404 process-not-found from Temporal: 400 shows the request went no further.
      assertProblem(await raw(world.url, method, path), 400, 'invalid-path');
    }
    // Dots inside an id are fine: this one reaches Temporal, which knows no such process.
    assertProblem(await world.call('GET', '/v1/processes/refund%2F0001.0001'), 404, 'process-not-found');
    assertProblem(await world.call('GET', '/v1/cases/.hidden'), 400, 'validation');
  });
});
