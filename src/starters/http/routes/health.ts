import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { Problem } from '../problems';
import type { RouteDeps } from './deps';

/** Operations endpoints: public, not rate limited, not in the spec (Salesforce has no use for them). */
export function mountHealth(app: FastifyInstance, deps: RouteDeps, metrics: Registry, spec: unknown): void {
  const config = { rateLimit: false };
  app.get('/healthz', { config }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config }, async () => {
    try {
      await deps.client.connection.withDeadline(Date.now() + deps.api.readyTimeoutMs, () => deps.client.workflowService.getSystemInfo({}));
      return { status: 'ready', temporal: 'ok' };
    } catch {
      throw new Problem(503, 'not-ready', 'Not ready', 'the Temporal server does not answer');
    }
  });
  app.get('/metrics', { config }, async (_request, reply) => reply.type(metrics.contentType).send(await metrics.metrics()));
  app.get('/openapi.json', { config }, async () => spec);
}
