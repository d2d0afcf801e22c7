import { z } from 'zod';

/**
 * Fault injection per route. A rule matches by method and path prefix (or `*` glob) and then
 * delays, fails, rate-limits, drops the connection, or takes the route down for a while.
 */
export const FaultRuleInput = z
  .object({
    method: z.string().toUpperCase().optional(),
    /** Path prefix, or a glob with `*` (e.g. "/v1/refunds*", "/services/data/*\/sobjects/Case*"). */
    path: z.string().optional(),
    /** slow-response: the handler runs (a write commits), then the answer waits latencyMs — a timeout after success. repeat-cursor: a list route answers a next-page request with the cursor it was given (a paging bug some systems have). */
    kind: z.enum(['latency', 'error', 'outage', 'rate-limit', 'reset', 'slow-response', 'repeat-cursor']),
    latencyMs: z.number().int().min(0).max(120_000).optional(),
    status: z.number().int().min(400).max(599).optional(),
    /** System-specific error code for the body (e.g. UNABLE_TO_LOCK_ROW). */
    errorCode: z.string().optional(),
    message: z.string().optional(),
    /** Probability a matching request is hit, 0..1 (default 1). */
    rate: z.number().min(0).max(1).default(1),
    /** For outage: how long the route stays down. */
    durationMs: z.number().int().min(1).max(3_600_000).optional(),
    retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
    /** Fire at most this many times, then the rule is spent. */
    count: z.number().int().min(1).optional(),
  })
  .strict();
export type FaultRuleInput = z.infer<typeof FaultRuleInput>;

export interface FaultRule extends FaultRuleInput {
  id: string;
  createdAt: number;
  until?: number;
  fired: number;
}

export type FaultAction =
  | { kind: 'latency'; ms: number }
  | { kind: 'slow-response'; ms: number }
  | { kind: 'error'; status: number; code?: string; message: string; retryAfterSeconds?: number; rule: FaultRuleInput['kind'] }
  | { kind: 'reset' };

let nextId = 1;

function matches(pattern: string | undefined, path: string): boolean {
  if (!pattern) return true;
  if (!pattern.includes('*')) return path.startsWith(pattern);
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}`);
  return re.test(path);
}

export class FaultInjector {
  private rules: FaultRule[] = [];

  constructor(private readonly random: () => number = Math.random) {}

  add(input: FaultRuleInput): FaultRule {
    const now = Date.now();
    const rule: FaultRule = {
      ...input,
      id: `fault-${nextId++}`,
      createdAt: now,
      fired: 0,
      until: input.kind === 'outage' ? now + (input.durationMs ?? 30_000) : input.durationMs ? now + input.durationMs : undefined,
    };
    this.rules.push(rule);
    return rule;
  }

  list(): FaultRule[] {
    this.expire();
    return [...this.rules];
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== before;
  }

  clear(): void {
    this.rules = [];
  }

  /** The actions to apply to this request, in order (latency first, then at most one failure). */
  evaluate(method: string, path: string): FaultAction[] {
    this.expire();
    const actions: FaultAction[] = [];
    for (const rule of this.rules) {
      if (rule.kind === 'repeat-cursor' || !this.fires(rule, method, path)) continue;
      const action = this.toAction(rule);
      const delays = (a: FaultAction) => a.kind === 'latency' || a.kind === 'slow-response';
      if (!delays(action) && actions.some((a) => !delays(a))) continue;
      rule.fired += 1;
      actions.push(action);
    }
    return actions.sort((a, b) => (a.kind === 'latency' ? -1 : 0) - (b.kind === 'latency' ? -1 : 0));
  }

  /** Whether a repeat-cursor rule hits this next-page request (the list route asks; it then answers the cursor it was given). */
  repeatsCursor(method: string, path: string): boolean {
    this.expire();
    const rule = this.rules.find((r) => r.kind === 'repeat-cursor' && this.fires(r, method, path));
    if (rule) rule.fired += 1;
    return rule !== undefined;
  }

  private fires(rule: FaultRule, method: string, path: string): boolean {
    if (rule.method && rule.method !== method) return false;
    if (!matches(rule.path, path)) return false;
    if (rule.count !== undefined && rule.fired >= rule.count) return false;
    return this.random() < rule.rate;
  }

  private toAction(rule: FaultRule): FaultAction {
    switch (rule.kind) {
      case 'latency':
        return { kind: 'latency', ms: rule.latencyMs ?? 1000 };
      case 'slow-response':
        return { kind: 'slow-response', ms: rule.latencyMs ?? 1000 };
      case 'reset':
        return { kind: 'reset' };
      case 'rate-limit':
        return {
          kind: 'error',
          status: rule.status ?? 429,
          code: rule.errorCode,
          message: rule.message ?? 'Too many requests',
          retryAfterSeconds: rule.retryAfterSeconds ?? 1,
          rule: rule.kind,
        };
      case 'outage':
        return {
          kind: 'error',
          status: rule.status ?? 503,
          code: rule.errorCode,
          message: rule.message ?? 'Service unavailable (outage)',
          retryAfterSeconds: rule.retryAfterSeconds,
          rule: rule.kind,
        };
      case 'error':
      case 'repeat-cursor': // never evaluated per request: the list routes ask repeatsCursor
        return { kind: 'error', status: rule.status ?? 500, code: rule.errorCode, message: rule.message ?? 'Injected failure', rule: rule.kind };
    }
  }

  private expire(): void {
    const now = Date.now();
    this.rules = this.rules.filter((r) => (r.until === undefined || r.until > now) && (r.count === undefined || r.fired < r.count));
  }
}
