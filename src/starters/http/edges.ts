import type { FastifyInstance } from 'fastify';
import { Problem, sendProblem } from './problems';

/** Longer request targets are refused before routing (the longest real one, an encoded workflow id, is far shorter). */
export const MAX_URL_LENGTH = 4096;

const DOT_SEGMENT = /^\.{1,2}$/;

/** True when a path segment, once decoded, is or contains a `.` or `..` segment (`%2E%2E`, `refund%2F..`). */
export function hasDotSegment(path: string): boolean {
  return path.split('/').some((raw) => {
    let decoded = raw;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      // Undecodable segments are the router's to refuse.
    }
    return decoded.split('/').some((part) => DOT_SEGMENT.test(part));
  });
}

/** A route template (/v1/processes/:workflowId) as a matcher of raw request paths. */
function templateMatcher(url: string): RegExp {
  const pattern = url
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${pattern}$`);
}

/**
 * The API's edges answer like its routes, as problems with the request id: over-long URLs (414), `.`
 * and `..` as ids (400, before any route or Temporal call sees them), a known path with another
 * method (405 with Allow) and unknown paths (404). Call before the routes are added.
 */
export function installEdges(app: FastifyInstance): void {
  const routes: { matcher: RegExp; method: string }[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ matcher: templateMatcher(route.url), method: method.toUpperCase() });
  });

  app.addHook('onRequest', async (request) => {
    if (request.url.length > MAX_URL_LENGTH) throw new Problem(414, 'uri-too-long', 'URI too long', `the request target is over ${MAX_URL_LENGTH} characters`);
    const path = request.url.split('?')[0];
    // An id of `.` or `..` would address another resource once a proxy or client normalizes the path.
    if (hasDotSegment(path)) throw new Problem(400, 'invalid-path', 'Invalid path', 'path segments and ids may not be "." or ".." (nor contain such segments)');
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const allowed = [...new Set(routes.filter((r) => r.matcher.test(path)).map((r) => r.method))].sort();
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      return sendProblem(request, reply, new Problem(405, 'method-not-allowed', 'Method not allowed', `${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`));
    }
    return sendProblem(request, reply, new Problem(404, 'not-found', 'Not found', `no route ${request.method} ${path}`));
  });
}
