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

const text = (max: number) => z.string().min(1).max(max);

/** The Case fields a process is about, flat as a Flow has them on the Case record. */
export const caseFields = {
  caseId: z.string().min(15).max(18).openapi({ description: 'Salesforce Case record id', example: '5003000000D8cuI' }),
  caseNumber: CaseNumberSchema,
  orderNumber: text(64).openapi({ example: 'SO-100013' }),
  customerId: text(64),
  storeId: text(64),
  region: text(64),
  segment: text(64).optional(),
  channel: text(64).optional(),
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
