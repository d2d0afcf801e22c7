import type { FastifyReply } from 'fastify';

/** Salesforce answers JSON with exactly this content type; jsforce parses nothing else as JSON. */
export const SF_JSON = 'application/json;charset=UTF-8';

/** A Salesforce REST error: thrown inside handlers, written as `[{ message, errorCode, fields }]`. */
export class SfError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly fields: string[] = [],
  ) {
    super(message);
  }

  get body(): SfErrorBody[] {
    return [{ message: this.message, errorCode: this.errorCode, fields: this.fields }];
  }
}

export interface SfErrorBody {
  message: string;
  errorCode: string;
  fields: string[];
}

// The sandbox core names generic faults in lower case; Salesforce says the same thing its own way.
const GENERIC_CODES: Record<string, string> = {
  rate_limited: 'REQUEST_LIMIT_EXCEEDED',
  service_unavailable: 'SERVER_UNAVAILABLE',
  timeout: 'REQUEST_RUNNING_TOO_LONG',
  internal_error: 'UNKNOWN_EXCEPTION',
};

export function sendSalesforceError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  const errorCode = GENERIC_CODES[code] ?? code;
  return reply.code(status).header('content-type', SF_JSON).send([{ message, errorCode, fields: [] }]);
}

export const notFound = (message = 'The requested resource does not exist'): SfError => new SfError(404, 'NOT_FOUND', message);
export const malformedId = (id: string): SfError => new SfError(400, 'MALFORMED_ID', `Id is not valid: ${id}`);
