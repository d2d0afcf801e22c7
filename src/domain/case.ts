import { z } from 'zod';
import { CustomerSegmentSchema } from './customer';

/** Case lifecycle values the orchestrator writes (Salesforce's Status picklist). */
export const CaseStatusSchema = z.enum(['New', 'Working', 'Escalated', 'Waiting on Customer', 'Closed']);
export type CaseStatus = z.infer<typeof CaseStatusSchema>;

export const CaseReasonSchema = z.enum(['delayed-shipment', 'not-received', 'damaged-item', 'wrong-item', 'other']);
export type CaseReason = z.infer<typeof CaseReasonSchema>;

/** How the case was (or is being) resolved. */
export const CaseResolutionSchema = z.enum(['refund', 'replacement', 'no-action', 'pending-approval']);
export type CaseResolution = z.infer<typeof CaseResolutionSchema>;

/** A service case with the retail context the workflows need (order, store, region, customer). */
export const CaseSchema = z.object({
  /** Salesforce Case id (18 characters). */
  caseId: z.string().min(15),
  caseNumber: z.string().min(1),
  subject: z.string().optional(),
  /** Picklist value as Salesforce holds it; may include values beyond CaseStatusSchema. */
  status: z.string(),
  reason: CaseReasonSchema.optional(),
  origin: z.string().optional(),
  orderNumber: z.string().optional(),
  storeId: z.string().optional(),
  region: z.string().optional(),
  resolution: CaseResolutionSchema.optional(),
  accountId: z.string().optional(),
  contactId: z.string().optional(),
  customerId: z.string().optional(),
  segment: CustomerSegmentSchema.optional(),
  openedAt: z.string().optional(),
});
export type Case = z.infer<typeof CaseSchema>;

/** Fields the orchestrator may change on a case; unspecified ones stay as they are. */
export const CaseUpdateSchema = z
  .object({
    status: CaseStatusSchema.optional(),
    resolution: CaseResolutionSchema.optional(),
  })
  .refine((u) => u.status !== undefined || u.resolution !== undefined, 'a case update changes status or resolution');
export type CaseUpdate = z.infer<typeof CaseUpdateSchema>;

/** A comment (milestone note) on a case; created is false when an earlier attempt already wrote it. */
export const CaseCommentResultSchema = z.object({ commentId: z.string(), created: z.boolean() });
export type CaseCommentResult = z.infer<typeof CaseCommentResultSchema>;

/** A follow-up task for a human (approval overdue, repair failed). */
export const EscalationTaskResultSchema = z.object({ taskId: z.string(), created: z.boolean() });
export type EscalationTaskResult = z.infer<typeof EscalationTaskResultSchema>;
