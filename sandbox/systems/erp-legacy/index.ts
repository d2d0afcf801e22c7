import type { FastifyReply, FastifyRequest } from 'fastify';
import { fingerprint, type SystemContext, type SystemDefinition } from '../../core/system';
import { creditMemoService, ledgerService, type LegacyService } from './credit-memo-service';
import { seedLegacyErp, type LegacyErpState } from './state';
import { LegacyFault, parseXml, sendLegacyFault, toXml, type XmlNode } from './xml';

export const ERP_LEGACY_USER = 'ORCH';
export const ERP_LEGACY_PASSWORD = 'legacy-sandbox-password';
const EXPECTED_AUTH = `Basic ${Buffer.from(`${ERP_LEGACY_USER}:${ERP_LEGACY_PASSWORD}`).toString('base64')}`;

const asNode = (value: unknown): XmlNode => (value && typeof value === 'object' && !Array.isArray(value) ? (value as XmlNode) : {});

/**
 * The legacy finance ERP: XML envelopes POSTed to service endpoints, HTTP Basic auth, column-style
 * field names, idempotency by the envelope's RequestId, and every fault an HTTP 500 <Fault>.
 */
export const erpLegacy: SystemDefinition<LegacyErpState> = {
  name: 'erp-legacy',
  defaultPort: 4021,
  seed: seedLegacyErp,
  sendError: sendLegacyFault,
  routes: (app, ctx) => {
    app.addContentTypeParser(['text/xml', 'application/xml'], { parseAs: 'string' }, (_request, body, done) => done(null, body));
    app.addHook('onRequest', async (request, reply) => {
      if (!request.url.startsWith('/legacy/')) return;
      if (request.headers.authorization !== EXPECTED_AUTH) {
        return sendLegacyFault(reply.header('www-authenticate', 'Basic realm="LEGACY-FIN"'), 401, 'AUTH-401', 'authentication required');
      }
    });
    // Anything unexpected is a system fault, in the legacy dialect like every other fault.
    app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) =>
      sendLegacyFault(reply, 500, error.statusCode && error.statusCode < 500 ? 'VAL-000' : 'SYS-ERR', error.message),
    );
    const services: Record<string, LegacyService> = {
      CreditMemoService: creditMemoService(ctx),
      LedgerService: ledgerService(ctx),
    };
    app.post<{ Params: { service: string } }>('/legacy/finance/:service', async (request, reply) => handle(ctx, services, request, reply));
  },
};

async function handle(ctx: SystemContext<LegacyErpState>, services: Record<string, LegacyService>, request: FastifyRequest<{ Params: { service: string } }>, reply: FastifyReply) {
  const service = services[request.params.service];
  if (!service) return sendLegacyFault(reply, 500, 'NF-404', `service ${request.params.service} does not exist`);
  if (typeof request.body !== 'string') return sendLegacyFault(reply, 500, 'VAL-000', 'body must be an XML <Request> envelope (Content-Type text/xml)');

  let envelope: XmlNode;
  try {
    envelope = asNode(parseXml(request.body).Request);
  } catch {
    return sendLegacyFault(reply, 500, 'VAL-000', 'malformed XML');
  }
  const header = asNode(envelope.Header);
  const body = asNode(envelope.Body);
  const requestId = typeof header.RequestId === 'string' ? header.RequestId.trim() : '';
  if (!requestId || requestId.length > 255) return sendLegacyFault(reply, 500, 'VAL-002', 'Header/RequestId is required (max 255 characters)');
  if (header.User !== ERP_LEGACY_USER) return sendLegacyFault(reply, 500, 'AUTH-403', 'Header/User does not match the authenticated user');
  const [operationName] = Object.keys(body);
  const operation = operationName ? service[operationName] : undefined;
  if (!operation) return sendLegacyFault(reply, 500, 'VAL-002', `unknown operation ${operationName ?? '(none)'} on ${request.params.service}`);

  const savedKey = `request:${requestId}`;
  const print = fingerprint('POST', `${request.url}#${operationName}`, body);
  if (operation.mutating) {
    const saved = ctx.store.idempotency[savedKey];
    if (saved && saved.fingerprint !== print) return sendLegacyFault(reply, 500, 'IDEM-409', `RequestId ${requestId} was already used for a different request`);
    if (saved) return reply.code(saved.status ?? 200).header('content-type', 'text/xml; charset=utf-8').header('x-legacy-replayed', 'true').send(saved.body);
  }

  let status = 200;
  let xml: string;
  let transient = false;
  try {
    const result = operation.run(asNode(body[operationName]), requestId);
    xml = toXml('Response', { Header: { RequestId: requestId, Status: 'OK' }, Body: result });
  } catch (err) {
    if (!(err instanceof LegacyFault)) throw err;
    status = 500;
    transient = err.code.startsWith('SYS-');
    xml = toXml('Fault', { Code: err.code, Message: err.message });
  }
  // Outcomes are replayed for the same RequestId, except transient faults, which a retry should get past.
  if (operation.mutating && !transient) {
    ctx.store.idempotency[savedKey] = { fingerprint: print, inFlight: false, status, body: xml, at: new Date().toISOString() };
    ctx.store.changed();
  }
  return reply.code(status).header('content-type', 'text/xml; charset=utf-8').send(xml);
}
