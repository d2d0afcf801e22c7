import { AsyncLocalStorage } from 'node:async_hooks';
import { Transport } from 'jsforce/lib/transport';
import type { HttpRequest, HttpRequestOptions, HttpResponse } from 'jsforce/lib/types';
import type { DownstreamError } from '../../domain/errors';
import { endHttpSpan, startHttpSpan } from '../../observability/trace-context';

/** What one connector call saw on the wire; jsforce's errors carry neither the status nor the headers. */
export interface CallTrace {
  lastResponse?: { status: number; headers: Record<string, string> };
  /** Set when re-running the OAuth grant failed, so the call fails with that cause, not jsforce's wrapper. */
  grantError?: DownstreamError;
}

export const callTrace = new AsyncLocalStorage<CallTrace>();

/**
 * jsforce's default transport reads http(s)_proxy once at import (ignoring NO_PROXY) and retries
 * GETs on 420/429/5xx and resets by itself for up to ~15 s. This one, set on the Connection and its
 * OAuth2 client, talks to the configured URL directly, never retries (Temporal owns retrying), and
 * records the last response so errors can be classified by status and Retry-After.
 */
export class DirectTransport extends Transport {
  constructor(private readonly timeoutMs: number) {
    super();
  }

  override httpRequest(req: HttpRequest, options: HttpRequestOptions = {}) {
    // An explicit undefined overrides the proxy jsforce's request module took from the environment.
    const { span, headers } = startHttpSpan('salesforce', `${req.method} ${pathOf(req.url)}`, req.method, req.url);
    const promise = super.httpRequest({ ...req, headers: { ...req.headers, ...headers } }, { ...options, httpProxy: undefined, timeout: this.timeoutMs, retry: { maxRetries: 0, methods: [] } });
    promise.then(
      (res: HttpResponse) => endHttpSpan(span, res.statusCode),
      (err: unknown) => endHttpSpan(span, undefined, err),
    );
    const trace = callTrace.getStore();
    if (trace) {
      promise.then(
        (res: HttpResponse) => {
          trace.lastResponse = { status: res.statusCode, headers: res.headers };
        },
        () => undefined,
      );
    }
    return promise;
  }
}

/** Span names carry the REST path; the query string (which may hold SOQL with customer data) stays out. */
function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
