import type { FastifyInstance, FastifyRequest } from 'fastify';
import { INTERNAL_REQUEST } from '../../core/system';

export interface SubResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/**
 * Runs one subrequest through the org's own routes, as the caller (its Authorization), so it
 * behaves exactly as the same request sent alone; the internal mark keeps it out of the request
 * log, the faults and the API count, which belong to the composite call that carries it.
 */
export async function dispatch(
  app: FastifyInstance,
  caller: FastifyRequest,
  sub: { method: string; url: string; body?: unknown; headers?: Record<string, string> },
): Promise<SubResponse> {
  const headers: Record<string, string> = { ...sub.headers, [INTERNAL_REQUEST.header]: INTERNAL_REQUEST.token };
  if (caller.headers.authorization) headers.authorization = caller.headers.authorization;
  const withBody = sub.body !== undefined && sub.body !== null && sub.method !== 'GET' && sub.method !== 'DELETE';
  if (withBody) headers['content-type'] = 'application/json';
  const res = await app.inject({ method: sub.method as 'GET', url: sub.url, headers, payload: withBody ? JSON.stringify(sub.body) : undefined });
  const type = String(res.headers['content-type'] ?? '');
  let body: unknown = null;
  if (res.payload) body = type.startsWith('application/json') ? JSON.parse(res.payload) : res.payload;
  // A subrequest's answer keeps only the header a client can use: where a created record lives.
  const kept: Record<string, string> = {};
  const sobject = /^(\/services\/data\/v\d+\.\d)\/sobjects\/(\w+)/.exec(sub.url);
  const id = (body as { id?: unknown } | null)?.id;
  if (res.statusCode === 201 && sobject && typeof id === 'string') kept.Location = `${sobject[1]}/sobjects/${sobject[2]}/${id}`;
  return { status: res.statusCode, headers: kept, body };
}

/** `@{referenceId.path}`: a path of `.field` and `[index]` steps into an earlier subrequest's answer. */
const REFERENCE = /@\{([^.[}]+)((?:\.[^.[}]+|\[\d+\])*)\}/g;

export class UnresolvedReference extends Error {
  constructor(readonly expression: string, readonly referenceId: string) {
    // Salesforce's own wording for a reference it cannot resolve.
    super(`Invalid reference specified. No value for ${expression} found in ${referenceId}`);
  }
}

function lookup(results: ReadonlyMap<string, unknown>, expression: string, referenceId: string, path: string): unknown {
  if (!results.has(referenceId)) throw new UnresolvedReference(expression, referenceId);
  let value = results.get(referenceId);
  for (const [, field, index] of path.matchAll(/\.([^.[]+)|\[(\d+)\]/g)) {
    if (index !== undefined) value = Array.isArray(value) ? value[Number(index)] : undefined;
    else value = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[field] : undefined;
  }
  // Only scalars can be placed into another request.
  if (value === undefined || (value !== null && typeof value === 'object')) throw new UnresolvedReference(expression, referenceId);
  return value;
}

/** The referenceIds a text depends on. */
export const referencesIn = (text: string): string[] => [...text.matchAll(REFERENCE)].map((m) => m[1]);

/** A text with every reference replaced by the referenced value. */
export function resolveText(text: string, results: ReadonlyMap<string, unknown>): string {
  return text.replace(REFERENCE, (whole, id: string, path: string) => String(lookup(results, whole.slice(2, -1), id, path)));
}

/** A body with its references resolved; a string that is exactly one reference takes the value's own JSON type. */
export function resolveBody(value: unknown, results: ReadonlyMap<string, unknown>): unknown {
  if (typeof value === 'string') {
    const only = /^@\{([^.[}]+)((?:\.[^.[}]+|\[\d+\])*)\}$/.exec(value);
    return only ? lookup(results, value.slice(2, -1), only[1], only[2]) : resolveText(value, results);
  }
  if (Array.isArray(value)) return value.map((v) => resolveBody(v, results));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveBody(v, results)]));
  return value;
}
