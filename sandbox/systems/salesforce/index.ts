import { isInternalRequest, type SystemDefinition } from '../../core/system';
import { invalidSession, registerAuth, sessionValid } from './auth';
import { registerAdmin } from './admin';
import { registerBulkRoutes } from './bulk';
import { registerBulkQueryRoutes } from './bulk-query';
import { registerBulkV1Routes } from './bulk-v1';
import { registerCompositeRoutes } from './composite';
import { registerDataRoutes } from './data-routes';
import { registerPubSubAdmin } from './pubsub/bus';
import { registerSearchRoutes } from './search';
import { registerSoapLogin } from './soap-login';
import { SF_JSON, sendSalesforceError } from './errors';
import { seedSalesforce, type SalesforceState } from './state';

/**
 * Salesforce as jsforce sees it: OAuth token endpoint and the SOAP login, sObject rows and external-id upserts,
 * SOQL with query locators, SOSL search, sObject Collections, the Composite resources, Bulk API 1.0 and 2.0,
 * with Salesforce's error arrays, content type and Sforce-Limit-Info header.
 */
export const salesforce: SystemDefinition<SalesforceState> = {
  name: 'salesforce',
  defaultPort: 4010,
  seed: seedSalesforce,
  sendError: sendSalesforceError,
  // Salesforce has no 429: an exhausted API allowance is 403 REQUEST_LIMIT_EXCEEDED, without Retry-After.
  sendFault: (reply, action) =>
    action.rule === 'rate-limit' ? sendSalesforceError(reply, 403, 'REQUEST_LIMIT_EXCEEDED', action.message === 'Too many requests' ? 'TotalRequests Limit exceeded.' : action.message) : undefined,
  routes: (app, ctx) => {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });
    app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string' }, (_request, body, done) => done(null, body));

    // Every data call needs a live session and counts against the org's daily API requests.
    app.addHook('onRequest', async (request, reply) => {
      if (!request.url.startsWith('/services/data/')) return;
      if (!sessionValid(ctx, request)) return invalidSession(reply);
      // A composite's subrequests are part of the one call already counted.
      if (isInternalRequest(request)) return;
      const usage = ctx.store.data.apiUsage;
      usage.used += 1;
      ctx.store.changed();
      if (usage.used > usage.max) return sendSalesforceError(reply, 403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
    });

    app.addHook('onSend', async (request, reply, payload) => {
      if (request.url.startsWith('/__sandbox')) return payload;
      const type = reply.getHeader('content-type');
      if (typeof type === 'string' && type.startsWith('application/json')) reply.header('content-type', SF_JSON);
      if (request.url.startsWith('/services/data/')) {
        const { used, max } = ctx.store.data.apiUsage;
        reply.header('sforce-limit-info', `api-usage=${used}/${max}`);
      }
      return payload;
    });

    app.setNotFoundHandler((_request, reply) => sendSalesforceError(reply, 404, 'NOT_FOUND', 'The requested resource does not exist'));
    app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _request, reply) => {
      const status = err.statusCode ?? 500;
      if (status === 415) return sendSalesforceError(reply, 415, 'UNSUPPORTED_MEDIA_TYPE', err.message);
      if (status === 413) return sendSalesforceError(reply, 413, 'REQUEST_TOO_LARGE', err.message);
      if (status >= 400 && status < 500) return sendSalesforceError(reply, 400, 'JSON_PARSER_ERROR', err.message);
      return sendSalesforceError(reply, 500, 'UNKNOWN_EXCEPTION', 'An unexpected error occurred. Please include this ErrorId if you contact support');
    });

    registerAuth(app, ctx);
    registerSoapLogin(app, ctx);
    registerDataRoutes(app, ctx);
    registerBulkRoutes(app, ctx);
    registerBulkQueryRoutes(app, ctx);
    registerBulkV1Routes(app, ctx);
    registerCompositeRoutes(app, ctx);
    registerSearchRoutes(app, ctx);
    registerAdmin(app, ctx);
    registerPubSubAdmin(app, ctx);
  },
};
