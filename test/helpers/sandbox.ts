import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSandbox, type Sandbox, type SandboxOptions, type SandboxSystemKey } from '../../sandbox';
import type { WorldOptions } from '../../sandbox/seed/world';
import { configFromEnv, type Config } from '../../src/config';
import { testCodecEnv } from './codec';

/** Starts sandbox systems in this process on free loopback ports, in memory, from the standard seed. */
export async function startTestSandbox(only?: SandboxSystemKey[], extra: Pick<SandboxOptions, 'webhookUrl' | 'stockWebhookUrl' | 'webhookSecret' | 'salesforceJwtCertificate'> = {}, world?: WorldOptions): Promise<Sandbox> {
  return startSandbox({
    host: '127.0.0.1',
    ports: { salesforce: 0, erpCloud: 0, erpLegacy: 0, warehouse: 0, payments: 0, carrier: 0 },
    pubsubPort: 0,
    only,
    world,
    ...extra,
  });
}

/** Where a sandbox answers, whether in this process or another. */
export type SandboxAddresses = Pick<Sandbox, 'urls'> & { pubsub?: { address: string } };

/** The environment variables that point the product at a test sandbox (for configs and worker processes). */
export function sandboxUrlEnv(sandbox: SandboxAddresses): Record<string, string> {
  const u = sandbox.urls;
  const entries: [string, string | undefined][] = [
    ['SALESFORCE_LOGIN_URL', u.salesforce],
    ['ERP_CLOUD_URL', u.erpCloud],
    ['ERP_LEGACY_URL', u.erpLegacy],
    ['WAREHOUSE_URL', u.warehouse],
    ['PAYMENTS_URL', u.payments],
    ['CARRIER_URL', u.carrier],
    ['PUBSUB_ENDPOINT', sandbox.pubsub?.address],
  ];
  return Object.fromEntries(entries.filter((e): e is [string, string] => e[1] !== undefined));
}

/** The product's configuration pointed at a test sandbox (plus any overrides, as environment variables). */
export function configFor(sandbox: SandboxAddresses, env: Record<string, string> = {}): Config {
  return configFromEnv({ ...sandboxUrlEnv(sandbox), LOG_LEVEL: 'warn', ...testCodecEnv, ...env });
}

/** A position in a sandbox system's request log (see `admin().mark()`). */
export type RequestMark = { after: number };
type RequestLog = { last: number; count: number; requests: { seq: number; at: number; method: string; path: string; status: number }[] };

/** Admin calls to one sandbox system (faults, ledger, reset) over HTTP, as a test would make them. */
export function admin(baseUrl: string) {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${baseUrl}/__sandbox${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : undefined,
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`sandbox admin ${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  return {
    fault: (rule: Record<string, unknown>) => call('POST', '/faults', rule),
    clearFaults: () => call('DELETE', '/faults'),
    ledger: async (query: Record<string, string> = {}) =>
      (await call('GET', `/ledger?${new URLSearchParams(query).toString()}`)) as unknown as { count: number; entries: { kind: string; ref: string; idempotencyKey?: string; data?: Record<string, unknown> }[] },
    /** Requests served at or after `since` (epoch ms), or after a mark when given one. */
    requests: async (since: number | RequestMark = 0) =>
      (await call('GET', typeof since === 'number' ? `/requests?since=${since}` : `/requests?after=${since.after}`)) as unknown as RequestLog,
    /** The log's position now: every request whose answer a caller has seen is before it, every later one after. */
    mark: async (): Promise<RequestMark> => ({ after: ((await call('GET', `/requests?since=${Number.MAX_SAFE_INTEGER}`)) as unknown as RequestLog).last }),
    reset: () => call('POST', '/reset'),
  };
}

/** A session on the sandbox's Salesforce through the client credentials grant, as the product's connected app gets one. */
export async function salesforceSession(baseUrl: string): Promise<{ access_token: string; id: string; instance_url: string }> {
  const res = await fetch(`${baseUrl}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'retail-orchestrator', client_secret: 'sandbox-client-secret' }),
  });
  if (!res.ok) throw new Error(`sandbox Salesforce token: ${res.status} ${await res.text()}`);
  return (await res.json()) as { access_token: string; id: string; instance_url: string };
}

/** A loopback HTTP server standing in for the event API: records what the sandbox's webhooks deliver. */
export async function startWebhookReceiver(status = 202): Promise<{ url: string; received: { headers: IncomingHttpHeaders; body: string }[]; close: () => Promise<void> }> {
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A loopback port free right now (for a server that must be told its port before it starts). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
