import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SystemContext } from '../../core/system';
import { SF_JSON } from './errors';
import { INTEGRATION_USER_ID, ORG_ID } from './ids';
import type { SalesforceState } from './state';

/** The connected app and integration user this org knows (development credentials). */
export const CLIENT_ID = 'retail-orchestrator';
export const CLIENT_SECRET = 'sandbox-client-secret';
export const USERNAME = 'integration@retail.example';
export const PASSWORD = 'sandbox-password';

const DEFAULT_TTL_MS = 2 * 60 * 60 * 1000;

function tokenTtlMs(ctx: SystemContext<SalesforceState>): number {
  const configured = Number(ctx.options.tokenTtlMs ?? process.env.SANDBOX_SALESFORCE_TOKEN_TTL_MS);
  return Number.isFinite(configured) && configured > 0 ? configured : DEFAULT_TTL_MS;
}

const oauthError = (reply: FastifyReply, error: string, description: string) =>
  reply.code(400).header('content-type', SF_JSON).send({ error, error_description: description });

/** Client id/secret from the form, or from HTTP Basic auth as the token endpoint also allows. */
function clientCredentials(request: FastifyRequest, form: Record<string, string>): { id?: string; secret?: string } {
  const basic = /^Basic (.+)$/i.exec(request.headers.authorization ?? '');
  if (basic) {
    const [id, secret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
    return { id, secret };
  }
  return { id: form.client_id, secret: form.client_secret };
}

export function registerAuth(app: FastifyInstance, ctx: SystemContext<SalesforceState>): void {
  app.post('/services/oauth2/token', async (request, reply) => {
    const form = (request.body ?? {}) as Record<string, string>;
    const grant = form.grant_type;
    if (grant !== 'client_credentials' && grant !== 'password') return oauthError(reply, 'unsupported_grant_type', 'grant type not supported');
    const client = clientCredentials(request, form);
    if (client.id !== CLIENT_ID || client.secret !== CLIENT_SECRET) return oauthError(reply, 'invalid_client', 'invalid client credentials');
    if (grant === 'password' && (form.username !== USERNAME || form.password !== PASSWORD)) return oauthError(reply, 'invalid_grant', 'authentication failure');

    const state = ctx.store.data;
    const now = Date.now();
    for (const [token, issued] of Object.entries(state.tokens)) if (issued.expiresAt <= now) delete state.tokens[token];
    const accessToken = `${ORG_ID.slice(0, 15)}!${randomBytes(36).toString('base64url')}`;
    state.tokens[accessToken] = { issuedAt: now, expiresAt: now + tokenTtlMs(ctx) };
    ctx.store.changed();
    const id = `${ctx.url()}/id/${ORG_ID}/${INTEGRATION_USER_ID}`;
    const issuedAt = String(now);
    return reply
      .header('content-type', SF_JSON)
      .send({
        access_token: accessToken,
        instance_url: ctx.url(),
        id,
        token_type: 'Bearer',
        issued_at: issuedAt,
        scope: 'api',
        signature: createHmac('sha256', CLIENT_SECRET).update(id + issuedAt).digest('base64'),
      });
  });

  app.get('/id/:orgId/:userId', async (request, reply) => {
    if (!sessionValid(ctx, request)) return invalidSession(reply);
    const { orgId, userId } = request.params as { orgId: string; userId: string };
    return reply.header('content-type', SF_JSON).send({ id: `${ctx.url()}/id/${orgId}/${userId}`, organization_id: orgId, user_id: userId, username: USERNAME, display_name: 'Retail Integration', active: true });
  });

  // Test hook: every issued session becomes invalid, as when an admin revokes them or they time out.
  app.post('/__sandbox/salesforce/expire-tokens', async () => {
    const expired = Object.keys(ctx.store.data.tokens).length;
    ctx.store.data.tokens = {};
    ctx.store.changed();
    return { expired };
  });
}

export function sessionValid(ctx: SystemContext<SalesforceState>, request: FastifyRequest): boolean {
  const match = /^(?:Bearer|OAuth) (.+)$/i.exec(request.headers.authorization ?? '');
  const issued = match ? ctx.store.data.tokens[match[1].trim()] : undefined;
  return !!issued && issued.expiresAt > Date.now();
}

export const invalidSession = (reply: FastifyReply): FastifyReply =>
  reply.code(401).header('content-type', SF_JSON).send([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
