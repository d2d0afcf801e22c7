import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SystemContext } from '../../core/system';
import { issueSession, userForPassword } from './auth';
import { ORG_ID } from './ids';
import type { SalesforceState } from './state';

/** The partner API's login() was retired with API version 65.0 (Summer '27); earlier versions still take it. */
const LAST_SOAP_LOGIN_VERSION = 64;

const envelope = (body: string, namespaces = '') =>
  `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"${namespaces}><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;

const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
const unescapeXml = (text: string) =>
  text.replace(/&(lt|gt|amp|apos|quot|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) =>
    e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'amp' ? '&' : e === 'apos' ? "'" : e === 'quot' ? '"' : String.fromCodePoint(e.startsWith('#x') ? parseInt(e.slice(2), 16) : Number(e.slice(1))),
  );

/** The text of the first element of that local name, whatever its namespace prefix. */
function element(xml: string, name: string): string | undefined {
  const match = new RegExp(`<(?:[\\w.-]+:)?${name}(?:\\s[^>]*)?>([^<]*)</(?:[\\w.-]+:)?${name}>`).exec(xml);
  return match ? unescapeXml(match[1]) : undefined;
}

/** The operation the SOAP body carries: the local name of the Body's first child element. */
function operationOf(xml: string): string | undefined {
  return /<(?:[\w.-]+:)?Body(?:\s[^>]*)?>\s*<(?:[\w.-]+:)?([\w]+)[\s/>]/.exec(xml)?.[1];
}

/** A SOAP fault as Salesforce sends it: HTTP 500, sf:<code>, "<code>: <message>" as the faultstring, the typed fault in detail. */
function fault(reply: FastifyReply, code: string, message: string, faultType = 'UnexpectedErrorFault', faultcode = `sf:${code}`): FastifyReply {
  const detail = faultcode.startsWith('sf:')
    ? `<detail><sf:${faultType} xsi:type="sf:${faultType}"><sf:exceptionCode>${code}</sf:exceptionCode><sf:exceptionMessage>${escapeXml(message)}</sf:exceptionMessage></sf:${faultType}></detail>`
    : '';
  const faultstring = faultcode.startsWith('sf:') ? `${code}: ${message}` : message;
  return reply
    .code(500)
    .header('content-type', 'text/xml; charset=utf-8')
    .send(envelope(`<soapenv:Fault><faultcode>${faultcode}</faultcode><faultstring>${escapeXml(faultstring)}</faultstring>${detail}</soapenv:Fault>`, ' xmlns:sf="urn:fault.partner.soap.sforce.com"'));
}

/**
 * The partner SOAP API's login() and logout(), which jsforce uses when a Connection logs in without OAuth settings:
 * POST /services/Soap/u/{version} with a SOAPAction header. A login gives the same kind of session as the OAuth
 * endpoint (its session id is the REST API's bearer token); other SOAP operations are not modelled.
 */
export function registerSoapLogin(app: FastifyInstance, ctx: SystemContext<SalesforceState>): void {
  app.addContentTypeParser(['text/xml', 'application/soap+xml'], { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.post('/services/Soap/u/:version', async (request, reply) => {
    const { version } = request.params as { version: string };
    if (request.headers.soapaction === undefined) return fault(reply, 'Client', 'No SOAPAction header!', undefined, 'soapenv:Client');
    const xml = typeof request.body === 'string' ? request.body : '';
    const operation = operationOf(xml);
    if (!operation) return fault(reply, 'Client', 'Unable to find a SOAP Body in the request', undefined, 'soapenv:Client');
    const versionNumber = /^\d+\.0$/.test(version) ? Number(version) : NaN;

    if (operation === 'login') {
      if (!(versionNumber >= 20 && versionNumber <= LAST_SOAP_LOGIN_VERSION))
        return fault(reply, 'UNSUPPORTED_API_VERSION', `SOAP login() is not available in API version ${version}: use OAuth 2.0`);
      const username = element(xml, 'username');
      const userId = userForPassword(username, element(xml, 'password'));
      if (!userId) return fault(reply, 'INVALID_LOGIN', 'Invalid username, password, security token; or user locked out.', 'LoginFault');
      const { accessToken } = issueSession(ctx, userId);
      const base = ctx.url();
      return reply
        .header('content-type', 'text/xml; charset=utf-8')
        .send(
          envelope(
            `<loginResponse><result><metadataServerUrl>${base}/services/Soap/m/${version}/${ORG_ID}</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>true</sandbox>` +
              `<serverUrl>${base}/services/Soap/u/${version}/${ORG_ID}</serverUrl><sessionId>${accessToken}</sessionId><userId>${userId}</userId>` +
              `<userInfo><organizationId>${ORG_ID}</organizationId><userId>${userId}</userId><userName>${escapeXml(username!)}</userName><sessionSecondsValid>${Math.round((ctx.store.data.tokens[accessToken].expiresAt - Date.now()) / 1000)}</sessionSecondsValid></userInfo></result></loginResponse>`,
          ),
        );
    }

    if (operation === 'logout') {
      const sessionId = element(xml, 'sessionId');
      const issued = sessionId ? ctx.store.data.tokens[sessionId] : undefined;
      if (!sessionId || !issued || issued.expiresAt <= Date.now()) return fault(reply, 'INVALID_SESSION_ID', 'Invalid Session ID found in SessionHeader: Illegal Session');
      delete ctx.store.data.tokens[sessionId];
      ctx.store.changed();
      return reply.header('content-type', 'text/xml; charset=utf-8').send(envelope('<logoutResponse/>'));
    }

    return fault(reply, 'Client', `No operation available for request {urn:partner.soap.sforce.com}${operation}`, undefined, 'soapenv:Client');
  });
}
