import { CaseNumberSchema } from './common';
import { ProcessSchema } from './processes';
import { z } from './zod';

/** The case-keyed routes' path: a Flow has the Case Number on the record, and no slash to encode. */
export const CaseNumberParamsSchema = z.object({
  caseNumber: CaseNumberSchema.openapi({ param: { name: 'caseNumber', in: 'path', description: 'Salesforce Case Number', example: '00010001' } }),
});

export const CaseProcessesSchema = z
  .object({
    caseNumber: z.string(),
    processes: z.array(ProcessSchema).openapi({ description: 'The case\'s processes that exist: its resolution, refund and replacement' }),
  })
  .openapi('CaseProcesses');

export const CaseCancelResultSchema = z
  .object({
    caseNumber: z.string(),
    cancelRequested: z.boolean(),
    workflowIds: z.array(z.string()).openapi({ description: 'The running processes asked to cancel' }),
    reason: z.string(),
  })
  .openapi('CaseCancelResult', { description: 'The case\'s running processes were asked to cancel; each undoes what it can' });
