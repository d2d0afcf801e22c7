import type { FastifyInstance, FastifyReply } from 'fastify';

/** Stripe's error envelope: {error: {type, code, message, param, doc_url}}. */
export interface StripeErrorInit {
  type: 'invalid_request_error' | 'api_error' | 'idempotency_error' | 'rate_limit_error' | 'authentication_error';
  code?: string;
  message: string;
  param?: string;
}

export function sendStripeError(reply: FastifyReply, status: number, init: StripeErrorInit): FastifyReply {
  const docUrl = init.code ? `https://stripe.com/docs/error-codes/${init.code.replace(/_/g, '-')}` : undefined;
  return reply.code(status).send({ error: { ...init, ...(docUrl ? { doc_url: docUrl } : {}) } });
}

/** The core's error writer (faults, idempotency conflicts) mapped onto Stripe's error types. */
export function stripeErrorWriter(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  if (code === 'idempotency_error') return sendStripeError(reply, status, { type: 'idempotency_error', message });
  if (status === 429) return sendStripeError(reply, status, { type: 'rate_limit_error', code: 'rate_limit', message });
  if (status >= 500) return sendStripeError(reply, status, { type: 'api_error', code, message });
  return sendStripeError(reply, status, { type: 'invalid_request_error', code, message });
}

/**
 * Stripe's form encoding: `metadata[order_number]=SO-1`, `expand[]=latest_charge`,
 * `created[gte]=1700000000` become nested objects and arrays. Values stay strings, as Stripe receives them.
 */
export function parseStripeForm(text: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [fullKey, value] of new URLSearchParams(text)) assignBracketed(root, fullKey, value);
  return root;
}

export function assignBracketed(root: Record<string, unknown>, fullKey: string, value: unknown): void {
  const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(fullKey);
  if (!match) {
    root[fullKey] = value;
    return;
  }
  const path = [match[1], ...[...match[2].matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1])];
  if (path.some((p) => p === '__proto__' || p === 'constructor' || p === 'prototype')) return;
  let node: Record<string, unknown> | unknown[] = root;
  for (let i = 0; i < path.length; i++) {
    const part = path[i];
    const last = i === path.length - 1;
    if (Array.isArray(node)) {
      // `[]` appends; `[3]` addresses an index, so `lines[0][sku]` and `lines[0][quantity]` share one object.
      const index = part === '' ? node.length : Number(part);
      if (last) node[index] = value;
      else node = (node[index] ??= containerFor(path[i + 1])) as Record<string, unknown> | unknown[];
      continue;
    }
    if (last) node[part] = value;
    else node = (node[part] ??= containerFor(path[i + 1])) as Record<string, unknown> | unknown[];
  }
}

function containerFor(next: string): Record<string, unknown> | unknown[] {
  return next === '' || /^\d+$/.test(next) ? [] : {};
}

/** Query strings too: fastify's parser leaves `created[gte]` as a flat key. */
export function nestQuery(query: Record<string, unknown>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) {
    for (const v of Array.isArray(value) ? value : [value]) assignBracketed(root, key, v);
  }
  return root;
}

export function registerStripeForm(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseStripeForm(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
