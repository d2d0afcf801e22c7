import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKey, ApiScope } from '../../config/api';
import { Problem } from './problems';

/** The header a Salesforce Named Credential (External Credential, Custom protocol) sets. */
export const API_KEY_HEADER = 'x-api-key';

export interface Principal {
  name: string;
  scopes: ReadonlySet<ApiScope>;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** The scope a key needs for this route; routes without one are public (health, docs, metrics). */
    scope?: ApiScope;
  }
}

/** Finds the key a caller presented; every configured digest is compared, in constant time. */
export function createKeyring(keys: ApiKey[]): (presented: string) => Principal | undefined {
  const entries = keys.map((k) => ({ digest: Buffer.from(k.sha256, 'hex'), principal: { name: k.name, scopes: new Set(k.scopes) } }));
  return (presented) => {
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    let found: Principal | undefined;
    for (const entry of entries) {
      // No early exit: the time taken does not tell which (or whether a) key matched.
      if (timingSafeEqual(digest, entry.digest) && !found) found = entry.principal;
    }
    return found;
  };
}

/**
 * Identifies the caller on every request (onRequest, before the rate limiter keys on it) and enforces
 * the route's scope before the body is read (preParsing): 401 without a valid key, 403 without the scope.
 */
export function installAuth(app: FastifyInstance, keys: ApiKey[]): void {
  const identify = createKeyring(keys);
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request) => {
    const presented = request.headers[API_KEY_HEADER];
    if (typeof presented === 'string' && presented) request.principal = identify(presented);
  });
  app.addHook('preParsing', async (request) => {
    requireScope(request);
  });
}

function requireScope(request: FastifyRequest): void {
  const scope = request.routeOptions.config?.scope;
  if (!scope) return;
  if (!request.principal) {
    const sent = typeof request.headers[API_KEY_HEADER] === 'string';
    throw new Problem(401, 'unauthorized', 'Unauthorized', sent ? 'the API key is not valid' : `send an API key in the ${API_KEY_HEADER} header`);
  }
  if (!request.principal.scopes.has(scope)) {
    throw new Problem(403, 'forbidden', 'Forbidden', `this API key lacks the "${scope}" scope`, { requiredScope: scope });
  }
}
