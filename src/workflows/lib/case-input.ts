import { z } from 'zod';
import { CaseReasonSchema, type CaseReason } from '../../domain/case';
import { SalesforceUserIdSchema } from '../../domain/case-lines';
import type { ResolutionPolicy } from '../../domain/policy';
import type { CaseContext } from './case-context';

/** What the parent case resolution already read and hands to its child: the child does not read it again. */
export interface ParentFacts {
  case: CaseContext;
  reason: CaseReason;
  /** The parent's policy snapshot: parent and child decide by the same rules. */
  policy: ResolutionPolicy;
  /** Refund: where returned goods go; replacement: the warehouse that ships. */
  warehouseId?: string;
}

/** The fields every process about a case starts with (callers name the case; the systems supply the facts). */
export const caseStartFields = {
  caseNumber: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/, 'a Case Number'),
  caseId: z.string().regex(/^500[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$/, 'a Salesforce Case id (500…)').optional(),
  reason: CaseReasonSchema.optional(),
  requestedBy: SalesforceUserIdSchema.optional(),
  policy: z.record(z.string(), z.unknown()).optional(),
  taskQueues: z.record(z.string(), z.string().min(1)).optional(),
  facts: z.custom<ParentFacts>((v) => typeof v === 'object' && v !== null && 'case' in v && 'policy' in v).optional(),
};
