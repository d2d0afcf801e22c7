import { X509Certificate, createHmac, createPublicKey, randomBytes, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SystemContext } from '../../core/system';
import { SF_JSON } from './errors';
import { INTEGRATION_USER_ID, ORG_ID } from './ids';
import type { ConnectedApp, SalesforceState } from './state';

/** The connected app and integration user this org knows (development credentials). */
export const CLIENT_ID = 'retail-orchestrator';
export const CLIENT_SECRET = 'sandbox-client-secret';
export const USERNAME = 'integration@retail.example';
export const PASSWORD = 'sandbox-password';

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Salesforce wants the assertion's exp at most 3 minutes ahead; a few seconds cover clock skew. */
const MAX_ASSERTION_LIFETIME_S = 180;
const CLOCK_SKEW_S = 5;

const DEFAULT_TTL_MS = 2 * 60 * 60 * 1000;

/** The users that sign in with a password (password grant, SOAP login): the integration user; others sign in by JWT bearer. */
const USERS: Record<string, string> = { [USERNAME]: INTEGRATION_USER_ID };

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

/** The org's connected apps: the seeded one, plus what was registered through the admin route. */
export function connectedApps(ctx: SystemContext<SalesforceState>): Record<string, ConnectedApp> {
  const state = ctx.store.data;
  state.connectedApps ??= {};
  state.connectedApps[CLIENT_ID] ??= { clientSecret: CLIENT_SECRET, preAuthorizedUsers: [USERNAME] };
  // A certificate given at start-up (npm start, tests) belongs to the seeded app.
  const configured = ctx.options.jwtCertificate;
  if (configured && state.connectedApps[CLIENT_ID].certificate !== configured) state.connectedApps[CLIENT_ID].certificate = configured;
  return state.connectedApps;
}

/** A PEM X.509 certificate (as uploaded to a connected app) or a PEM public key. */
export function publicKeyOf(pem: string): KeyObject {
  return pem.includes('BEGIN CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
}

const secretMatches = (given: string | undefined, expected: string): boolean => {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

const JwtHeader = z.object({ alg: z.string() });
const JwtClaims = z.object({
  iss: z.string(),
  sub: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  exp: z.number(),
  nbf: z.number().optional(),
});

type Verdict = { ok: true; userId: string } | { ok: false; error: string; description: string };

const json = (part: string): unknown => {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
};

/** Checks a JWT bearer assertion the way Salesforce does, answering with Salesforce's OAuth errors. */
function verifyAssertion(ctx: SystemContext<SalesforceState>, assertion: string | undefined): Verdict {
  const invalid: Verdict = { ok: false, error: 'invalid_grant', description: 'invalid assertion' };
  const parts = (assertion ?? '').split('.');
  if (parts.length !== 3) return invalid;
  const header = JwtHeader.safeParse(json(parts[0]));
  const claims = JwtClaims.safeParse(json(parts[1]));
  if (!header.success || !claims.success || header.data.alg !== 'RS256') return invalid;
  const app = connectedApps(ctx)[claims.data.iss];
  if (!app) return { ok: false, error: 'invalid_client_id', description: 'client identifier invalid' };
  if (!app.certificate) return invalid;
  let signed = false;
  try {
    signed = verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), publicKeyOf(app.certificate), Buffer.from(parts[2], 'base64url'));
  } catch {
    signed = false;
  }
  if (!signed) return invalid;
  const audiences = Array.isArray(claims.data.aud) ? claims.data.aud : [claims.data.aud];
  const loginUrl = ctx.url().replace(/\/$/, '');
  if (!audiences.some((aud) => aud.replace(/\/$/, '') === loginUrl)) return { ok: false, error: 'invalid_grant', description: 'audience is invalid' };
  const now = Date.now() / 1000;
  if (claims.data.exp <= now) return { ok: false, error: 'invalid_grant', description: 'expired authorization code' };
  if (claims.data.exp > now + MAX_ASSERTION_LIFETIME_S + CLOCK_SKEW_S) return invalid;
  if (claims.data.nbf !== undefined && claims.data.nbf > now + CLOCK_SKEW_S) return invalid;
  // Any user of the org the connected app pre-authorizes may be the subject; the session runs as that user.
  const user = Object.values(ctx.store.data.records.User ?? {}).find((u) => u.Username === claims.data.sub);
  if (!user || !app.preAuthorizedUsers.includes(claims.data.sub)) return { ok: false, error: 'invalid_grant', description: "user hasn't approved this consumer" };
  if (user.IsActive !== true) return { ok: false, error: 'invalid_grant', description: 'inactive user' };
  return { ok: true, userId: String(user.Id) };
}

const ConnectedAppInput = z
  .object({
    clientId: z.string().min(1),
    clientSecret: z.string().min(1).optional(),
    /** PEM certificate (or public key) that verifies JWT bearer assertions. */
    certificate: z.string().includes('-----BEGIN').optional(),
    /** Usernames allowed without interactive approval (the pre-authorized profile or permission set). */
    preAuthorizedUsers: z.array(z.string()).default([USERNAME]),
  })
  .strict();

export function registerAuth(app: FastifyInstance, ctx: SystemContext<SalesforceState>): void {
  app.post('/services/oauth2/token', async (request, reply) => {
    const form = (request.body ?? {}) as Record<string, string>;
    const grant = form.grant_type;
    let userId = INTEGRATION_USER_ID;
    let clientSecret = CLIENT_SECRET;
    if (grant === JWT_BEARER) {
      const verdict = verifyAssertion(ctx, form.assertion);
      if (!verdict.ok) return oauthError(reply, verdict.error, verdict.description);
      userId = verdict.userId;
    } else if (grant === 'client_credentials' || grant === 'password') {
      const client = clientCredentials(request, form);
      const known = client.id ? connectedApps(ctx)[client.id] : undefined;
      if (!known) return oauthError(reply, 'invalid_client_id', 'client identifier invalid');
      if (!known.clientSecret || !secretMatches(client.secret, known.clientSecret)) return oauthError(reply, 'invalid_client', 'invalid client credentials');
      if (grant === 'password' && (form.username !== USERNAME || form.password !== PASSWORD)) return oauthError(reply, 'invalid_grant', 'authentication failure');
      clientSecret = known.clientSecret;
    } else {
      return oauthError(reply, 'unsupported_grant_type', 'grant type not supported');
    }

    const { accessToken, issuedAt: now } = issueSession(ctx, userId);
    const id = `${ctx.url()}/id/${ORG_ID}/${userId}`;
    const issuedAt = String(now);
    return reply.header('content-type', SF_JSON).send({
      access_token: accessToken,
      instance_url: ctx.url(),
      id,
      token_type: 'Bearer',
      issued_at: issuedAt,
      scope: 'api',
      signature: createHmac('sha256', clientSecret).update(id + issuedAt).digest('base64'),
    });
  });

  // jsforce's logout() revokes the session here (form field token, or a GET with ?token=).
  app.route({
    method: ['POST', 'GET'],
    url: '/services/oauth2/revoke',
    handler: async (request, reply) => {
      const token = ((request.body ?? {}) as Record<string, string>).token ?? (request.query as Record<string, string>).token;
      if (!token || !ctx.store.data.tokens[token]) return oauthError(reply, 'invalid_token', 'invalid token');
      delete ctx.store.data.tokens[token];
      ctx.store.changed();
      return reply.code(200).send('');
    },
  });

  // Identity: only the session's own user, read from its User record (a session reads no one else's identity).
  const userOf = (userId: string) => ctx.store.data.records.User?.[userId] as Record<string, unknown> | undefined;
  app.get('/id/:orgId/:userId', async (request, reply) => {
    const sessionUserId = sessionUser(ctx, request);
    if (!sessionUserId) return invalidSession(reply);
    const { orgId, userId } = request.params as { orgId: string; userId: string };
    const user = userOf(userId);
    if (orgId !== ORG_ID || userId !== sessionUserId || !user) return reply.code(403).header('content-type', 'text/plain').send('Bad_Id');
    return reply.header('content-type', SF_JSON).send({
      id: `${ctx.url()}/id/${orgId}/${userId}`,
      organization_id: orgId,
      user_id: userId,
      username: user.Username,
      display_name: user.Name,
      email: user.Email,
      first_name: user.FirstName ?? null,
      last_name: user.LastName,
      active: user.IsActive === true,
      user_type: 'STANDARD',
      language: 'en_US',
      locale: 'en_US',
      utcOffset: 0,
      last_modified_date: user.LastModifiedDate,
      urls: identityUrls(userId),
    });
  });

  // OpenID Connect's userinfo: the same user in the standard claims; a bad token is 403 Bad_OAuth_Token as in Salesforce.
  app.get('/services/oauth2/userinfo', async (request, reply) => {
    const userId = sessionUser(ctx, request);
    const user = userId ? userOf(userId) : undefined;
    if (!userId || !user) return reply.code(403).header('content-type', 'text/plain').send('Bad_OAuth_Token');
    return reply.header('content-type', SF_JSON).send({
      sub: `${ctx.url()}/id/${ORG_ID}/${userId}`,
      user_id: userId,
      organization_id: ORG_ID,
      preferred_username: user.Username,
      nickname: String(user.Username).split('@')[0],
      name: user.Name,
      email: user.Email,
      email_verified: true,
      given_name: user.FirstName ?? null,
      family_name: user.LastName,
      zoneinfo: 'GMT',
      active: user.IsActive === true,
      user_type: 'STANDARD',
      language: 'en_US',
      locale: 'en_US',
      utcOffset: 0,
      updated_at: user.LastModifiedDate,
      urls: identityUrls(userId),
    });
  });
  const identityUrls = (userId: string) => {
    const data = `${ctx.url()}/services/data/v{version}`;
    return { rest: `${data}/`, sobjects: `${data}/sobjects/`, query: `${data}/query/`, search: `${data}/search/`, profile: `${ctx.url()}/${userId}`, custom_domain: ctx.url() };
  };

  // Test hook: every issued session becomes invalid, as when an admin revokes them or they time out.
  app.post('/__sandbox/salesforce/expire-tokens', async () => {
    const expired = Object.keys(ctx.store.data.tokens).length;
    ctx.store.data.tokens = {};
    ctx.store.changed();
    return { expired };
  });

  // Setup → App Manager: a connected app with a consumer secret and/or a certificate for the JWT bearer flow.
  app.post('/__sandbox/salesforce/connected-apps', async (request, reply) => {
    const parsed = ConnectedAppInput.safeParse(request.body ?? {});
    if (!parsed.success) return reply.code(400).send({ error: 'invalid connected app', issues: parsed.error.issues });
    if (parsed.data.certificate) {
      try {
        publicKeyOf(parsed.data.certificate);
      } catch (err) {
        return reply.code(400).send({ error: `certificate is not a PEM certificate or public key: ${(err as Error).message}` });
      }
    }
    const apps = connectedApps(ctx);
    const { clientId, ...settings } = parsed.data;
    apps[clientId] = { ...apps[clientId], ...settings };
    ctx.store.changed();
    return reply.code(201).send({ clientId, jwt: !!apps[clientId].certificate, preAuthorizedUsers: apps[clientId].preAuthorizedUsers });
  });
  app.get('/__sandbox/salesforce/connected-apps', async () =>
    Object.entries(connectedApps(ctx)).map(([clientId, a]) => ({ clientId, jwt: !!a.certificate, preAuthorizedUsers: a.preAuthorizedUsers })),
  );
}

/** A new session for a user (OAuth access token or SOAP session id: the same thing in Salesforce), expired ones swept. */
export function issueSession(ctx: SystemContext<SalesforceState>, userId: string): { accessToken: string; issuedAt: number } {
  const state = ctx.store.data;
  const now = Date.now();
  for (const [token, issued] of Object.entries(state.tokens)) if (issued.expiresAt <= now) delete state.tokens[token];
  const accessToken = `${ORG_ID.slice(0, 15)}!${randomBytes(36).toString('base64url')}`;
  state.tokens[accessToken] = { issuedAt: now, expiresAt: now + tokenTtlMs(ctx), userId };
  ctx.store.changed();
  return { accessToken, issuedAt: now };
}

/** The user whose username and password these are (the SOAP login's check), if any. */
export function userForPassword(username: string | undefined, password: string | undefined): string | undefined {
  return username === USERNAME && password === PASSWORD ? USERS[USERNAME] : undefined;
}

/** The user a request's session runs as, or undefined without a live session. */
export function sessionUser(ctx: SystemContext<SalesforceState>, request: FastifyRequest): string | undefined {
  const match = /^(?:Bearer|OAuth) (.+)$/i.exec(request.headers.authorization ?? '');
  return match ? tokenUser(ctx, match[1].trim()) : undefined;
}

/** The user a session id runs as, or undefined when it is unknown or expired (the Bulk API 1.0 sends it as X-SFDC-Session). */
export function tokenUser(ctx: SystemContext<SalesforceState>, token: string): string | undefined {
  const issued = ctx.store.data.tokens[token];
  return issued && issued.expiresAt > Date.now() ? (issued.userId ?? INTEGRATION_USER_ID) : undefined;
}

export function sessionValid(ctx: SystemContext<SalesforceState>, request: FastifyRequest): boolean {
  return sessionUser(ctx, request) !== undefined;
}

export const invalidSession = (reply: FastifyReply): FastifyReply =>
  reply.code(401).header('content-type', SF_JSON).send([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
