import type { FastifyReply } from 'fastify';
import type { ZodError } from 'zod';

/** The cloud ERP's error dialect: {"error":{"code","message","details"}} with a meaningful status. */
export function errorBody(code: string, message: string, details?: Record<string, unknown>) {
  return { error: { code, message, details: details ?? {} } };
}

export function sendCloudError(reply: FastifyReply, status: number, code: string, message: string, details?: Record<string, unknown>): FastifyReply {
  return reply.code(status).send(errorBody(code, message, details));
}

export function validationError(error: ZodError) {
  return {
    status: 400,
    body: errorBody('VALIDATION_ERROR', 'request is invalid', { issues: error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) }),
  };
}

export const reject = (status: number, code: string, message: string, details?: Record<string, unknown>) => ({ status, body: errorBody(code, message, details) });
