import type { FastifyServerOptions } from 'fastify';

/**
 * Fastify receives a request for as long as the client takes by default. These options answer 408 and close the
 * connection once a request's headers and body have not arrived within `requestTimeoutMs` (headers within a minute at
 * most), checked often enough to cut a slow sender off near the limit (Node checks every 30 s by default). A handler's
 * own time does not count.
 */
export function requestTimeouts(requestTimeoutMs: number): Pick<FastifyServerOptions, 'requestTimeout'> & { http: { headersTimeout: number; connectionsCheckingInterval: number } } {
  return {
    requestTimeout: requestTimeoutMs,
    http: { headersTimeout: Math.min(60_000, requestTimeoutMs), connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(requestTimeoutMs / 4))) },
  };
}
