import { CaseReasonSchema } from '../../../domain/case';
import { z } from './zod';

/** Schemas shared by several operations; each named, so the spec has component schemas Flow can use. */
export const CaseNumberSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/, 'letters, digits, "-", "_" or "." (it becomes part of the workflow id)')
  .openapi({ description: 'Salesforce Case Number', example: '00010001' });

// Rebuilt from the domain's values: the domain schema may predate the .openapi() extension.
export const ReasonSchema = z.enum(CaseReasonSchema.options).openapi('CaseReason', { description: 'Why the customer opened the case' });

export const IdempotencyKeySchema = z
  .string()
  .min(1)
  .max(255)
  .openapi({ description: 'Same as the Idempotency-Key header, for callers that cannot set headers (a Flow HTTP Callout)' });

/** The case a start is about, as the caller names it: identity only (Salesforce and the ERP supply every fact). */
export const caseFields = {
  caseNumber: CaseNumberSchema,
  caseId: z
    .string()
    .regex(/^500[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$/, 'a Salesforce Case id (500…, 15 or 18 characters)')
    .optional()
    .openapi({ description: 'Salesforce Case record id; when given it must be the Case\'s', example: '5003000000D8cuIAAR' }),
  requestedBy: z
    .string()
    .regex(/^005[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$/, 'a Salesforce User Id (005…, 15 or 18 characters)')
    .optional()
    .openapi({ description: 'Salesforce User Id of the agent asking', example: '0053000000A1b2CAAR' }),
};

export const StartedProcessSchema = z
  .object({
    workflowId: z.string().openapi({ example: 'refund/00010001' }),
    runId: z.string(),
    status: z.string().openapi({ description: 'RUNNING, or the closed run\'s status (COMPLETED, FAILED, CANCELLED, TERMINATED, ...)' }),
    existing: z.boolean().openapi({ description: 'true when this request started nothing: the case already had this process' }),
    statusUrl: z.string().openapi({ example: '/v1/processes/refund%2F00010001' }),
  })
  .openapi('StartedProcess');

export const WorkflowIdParamsSchema = z.object({
  workflowId: z
    .string()
    .min(1)
    .max(255)
    .openapi({ param: { name: 'workflowId', in: 'path', description: 'The workflow id, URL-encoded (refund/00010001 → refund%2F00010001)', example: 'refund%2F00010001' } }),
});

export const ProblemFieldErrorSchema = z
  .object({ path: z.string().openapi({ example: 'body.caseNumber' }), code: z.string(), message: z.string() })
  .openapi('ProblemFieldError');

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: '/problems/validation' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    requestId: z.string(),
    errors: z.array(ProblemFieldErrorSchema).optional(),
    reason: z.string().optional().openapi({ description: 'For 422: the type of the process\'s refusal (e.g. NotAwaitingChoiceError)' }),
    workflowId: z.string().optional(),
    processStatus: z.string().optional(),
    requiredScope: z.string().optional(),
    idempotencyKey: z.string().optional(),
  })
  .openapi('Problem', { description: 'RFC 9457 problem details: application/json, or application/problem+json when Accept asks for it' });
