import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Deprecation } from '../../config/api';
import { Problem } from './problems';

/**
 * API lifecycle: the major version lives in the path (/v1/…); a breaking change is a new major path
 * served beside the old one, and an old operation leaves only through this table: deprecated (Deprecation
 * header, `deprecated: true` in the spec), then past its sunset answered 410 and removed from the code.
 */
export const API_MAJOR_VERSION = 1;
export const VERSION_PREFIX = `/v${API_MAJOR_VERSION}/`;

/** The operations deprecated by the product itself; operators add theirs with API_DEPRECATIONS. */
export const DEPRECATED_OPERATIONS: readonly Deprecation[] = [];

/** Where an operation is served (an operation may answer at more than one path). */
export interface OperationRoute {
  operationId: string;
  method: 'get' | 'post';
  path: string;
}

export type LifecycleTable = ReadonlyMap<string, Deprecation>;

/**
 * The one table every lifecycle effect reads (headers, spec, 410, metrics): the code's entries and the
 * configured ones, checked against the operations that exist so a typo cannot silently deprecate nothing.
 */
export function lifecycleTable(routes: readonly OperationRoute[], configured: readonly Deprecation[], builtIn: readonly Deprecation[] = DEPRECATED_OPERATIONS): LifecycleTable {
  const known = new Set(routes.map((r) => r.operationId));
  for (const route of routes) {
    if (!route.path.startsWith(VERSION_PREFIX)) throw new Error(`API operation ${route.operationId} is served at ${route.path}, outside the major version's path ${VERSION_PREFIX}`);
  }
  const table = new Map<string, Deprecation>();
  for (const entry of [...builtIn, ...configured]) {
    if (!known.has(entry.operationId)) throw new Error(`invalid configuration: API_DEPRECATIONS names ${entry.operationId}, which is no API operation`);
    if (entry.successor && !known.has(entry.successor)) throw new Error(`invalid configuration: API_DEPRECATIONS names ${entry.successor} as the successor of ${entry.operationId}, which is no API operation`);
    if (table.has(entry.operationId)) throw new Error(`invalid configuration: ${entry.operationId} is deprecated twice`);
    table.set(entry.operationId, entry);
  }
  return table;
}

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** RFC 9745 Deprecation (a structured-field date, `@<unix seconds>`), RFC 8594 Sunset (an HTTP-date) and their Link relations. */
export function lifecycleHeaders(entry: Deprecation): Record<string, string> {
  const headers: Record<string, string> = { deprecation: `@${seconds(entry.deprecatedAt)}` };
  if (entry.sunsetAt) headers.sunset = new Date(entry.sunsetAt).toUTCString();
  const links: string[] = [];
  if (entry.link) links.push(`<${entry.link}>; rel="deprecation"; type="text/html"`);
  if (entry.link && entry.sunsetAt) links.push(`<${entry.link}>; rel="sunset"; type="text/html"`);
  if (links.length) headers.link = links.join(', ');
  return headers;
}

/** The spec's words for a deprecated operation, appended to its description. */
export function deprecationNote(entry: Deprecation): string {
  const parts = [`Deprecated since ${entry.deprecatedAt}.`];
  if (entry.sunsetAt) parts.push(`Retired at ${entry.sunsetAt}: from then on it answers 410.`);
  if (entry.successor) parts.push(`Use ${entry.successor} instead.`);
  return parts.join(' ');
}

const routeKey = (method: string, url: string) => `${method.toUpperCase()} ${url}`;

/**
 * Installs the lifecycle on the app: every operation's calls counted per API key name (bounded: the
 * configured keys plus `anonymous`), deprecated ones answered with their headers, retired ones with 410.
 */
export function installLifecycle(app: FastifyInstance, routes: readonly OperationRoute[], table: LifecycleTable, registry: Registry, now: () => number = Date.now): void {
  const byRoute = new Map(routes.map((r) => [routeKey(r.method, r.path.replace(/\{(\w+)\}/g, ':$1')), r.operationId]));
  const calls = new Counter({
    name: 'api_operation_requests_total',
    help: 'Calls of each API operation by the API key name that made them (anonymous without a valid key): who still calls a deprecated operation',
    labelNames: ['operation', 'key'] as const,
    registers: [registry],
  });
  const sunsets = new Gauge({ name: 'api_operation_sunset_timestamp_seconds', help: 'When a deprecated API operation stops answering (Unix seconds)', labelNames: ['operation'] as const, registers: [registry] });
  const deprecated = new Gauge({ name: 'api_operation_deprecated_timestamp_seconds', help: 'When an API operation was (or will be) deprecated (Unix seconds)', labelNames: ['operation'] as const, registers: [registry] });
  for (const entry of table.values()) {
    deprecated.set({ operation: entry.operationId }, seconds(entry.deprecatedAt));
    if (entry.sunsetAt) sunsets.set({ operation: entry.operationId }, seconds(entry.sunsetAt));
  }
  const operationOf = (method: string, url: string | undefined) => (url ? byRoute.get(routeKey(method, url)) : undefined);

  // Headers before the key and scope are checked, so a 401 or 403 still tells the caller the route is going away.
  app.addHook('onRequest', async (request, reply) => {
    const operationId = operationOf(request.method, request.routeOptions.url);
    const entry = operationId ? table.get(operationId) : undefined;
    if (!entry) return;
    reply.headers(lifecycleHeaders(entry));
    if (entry.sunsetAt && now() >= Date.parse(entry.sunsetAt)) {
      const successor = entry.successor ? `; use ${entry.successor}` : '';
      throw new Problem(410, 'operation-retired', 'Operation retired', `${entry.operationId} was retired at ${entry.sunsetAt}${successor}`, { operationId: entry.operationId, sunset: entry.sunsetAt, successor: entry.successor });
    }
  });
  app.addHook('onResponse', async (request) => {
    const operationId = operationOf(request.method, request.routeOptions.url);
    if (operationId) calls.inc({ operation: operationId, key: request.principal?.name ?? 'anonymous' });
  });
}
