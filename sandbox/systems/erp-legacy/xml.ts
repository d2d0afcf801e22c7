import type { FastifyReply } from 'fastify';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';

/** The legacy ERP's wire format: XML envelopes in, XML responses out, faults as HTTP 500 <Fault>. */
const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => name === 'CreditMemo' || name === 'LedgerEntry',
});
const builder = new XMLBuilder({ format: false, suppressEmptyNode: true });
const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

export type XmlNode = Record<string, unknown>;

export function parseXml(text: string): XmlNode {
  return parser.parse(text) as XmlNode;
}

export function toXml(root: string, content: unknown): string {
  return `${DECLARATION}${builder.build({ [root]: content }) as string}`;
}

/** Thrown by a service operation; becomes a <Fault> with HTTP 500, as the legacy system answers. */
export class LegacyFault extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

// The gateway in front of the legacy system speaks HTTP statuses; the system itself only 500s.
const GATEWAY_STATUSES = new Set([401, 403, 408, 429, 502, 503, 504]);
const LEGACY_CODE = /^[A-Z]+-[A-Z0-9]+$/;

export function sendLegacyFault(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  const httpStatus = GATEWAY_STATUSES.has(status) ? status : 500;
  const faultCode = LEGACY_CODE.test(code) ? code : code.startsWith('idempotency') ? 'IDEM-409' : status === 404 ? 'NF-404' : 'SYS-ERR';
  return reply
    .code(httpStatus)
    .header('content-type', 'text/xml; charset=utf-8')
    .send(toXml('Fault', { Code: faultCode, Message: message }));
}
