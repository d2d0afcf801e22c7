import { z } from 'zod';

export const FulfilmentLineSchema = z.object({
  lineNumber: z.number().int().positive().optional(),
  sku: z.string().min(1),
  quantity: z.number().int().positive(),
});
export type FulfilmentLine = z.infer<typeof FulfilmentLineSchema>;

export const ReleaseStatusSchema = z.enum(['released', 'picked', 'packed', 'shipped', 'delivered', 'cancelled']);
export type ReleaseStatus = z.infer<typeof ReleaseStatusSchema>;

/** What the warehouse is asked to pick and ship: an original order or a replacement order. */
export const ReleaseRequestSchema = z
  .object({
    orderNumber: z.string().min(1).optional(),
    replacementOrderNumber: z.string().min(1).optional(),
    warehouseId: z.string().min(1),
    lines: z.array(FulfilmentLineSchema).min(1),
    /** Our reference for the release (the workflow id), echoed on the warehouse's events so they reach the process. */
    clientReference: z.string().min(1).max(255).optional(),
  })
  .refine((r) => Boolean(r.orderNumber) !== Boolean(r.replacementOrderNumber), 'exactly one of orderNumber or replacementOrderNumber');
export type ReleaseRequest = z.infer<typeof ReleaseRequestSchema>;

export const FulfilmentReleaseSchema = z.object({
  releaseId: z.string().min(1),
  orderNumber: z.string().min(1),
  kind: z.enum(['order', 'replacement']),
  warehouseId: z.string(),
  status: ReleaseStatusSchema,
  lines: z.array(FulfilmentLineSchema),
  createdAt: z.iso.datetime(),
  shipmentId: z.string().optional(),
});
export type FulfilmentRelease = z.infer<typeof FulfilmentReleaseSchema>;

/** Stock the warehouse has set aside for an order's lines. */
export const AllocationSchema = z.object({
  orderNumber: z.string(),
  lineNumber: z.number().int().optional(),
  sku: z.string(),
  quantity: z.number().int(),
  warehouseId: z.string(),
  status: z.enum(['allocated', 'shipped', 'released']),
  releaseId: z.string().optional(),
});
export type Allocation = z.infer<typeof AllocationSchema>;

export const ReturnConditionSchema = z.enum(['new', 'opened', 'damaged', 'defective']);
export type ReturnCondition = z.infer<typeof ReturnConditionSchema>;

export const ReturnReceiptRequestSchema = z.object({
  rmaNumber: z.string().min(1),
  warehouseId: z.string().min(1).optional(),
  condition: ReturnConditionSchema,
  lines: z.array(z.object({ sku: z.string().min(1), quantity: z.number().int().positive() })).min(1),
});
export type ReturnReceiptRequest = z.infer<typeof ReturnReceiptRequestSchema>;

/** The warehouse's record that returned goods arrived (the RMA's physical leg). */
export const ReturnReceiptSchema = ReturnReceiptRequestSchema.extend({
  receiptId: z.string().min(1),
  receivedAt: z.iso.datetime(),
  restocked: z.boolean(),
});
export type ReturnReceipt = z.infer<typeof ReturnReceiptSchema>;
