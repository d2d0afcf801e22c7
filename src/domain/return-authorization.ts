import { z } from 'zod';

/** A return merchandise authorization (RMA): the ERP's permission for items of an order to come back. */
export const ReturnLineSchema = z.object({
  sku: z.string().min(1),
  quantity: z.number().int().positive(),
  reason: z.string().optional(),
});
export type ReturnLine = z.infer<typeof ReturnLineSchema>;

export const ReturnAuthorizationRequestSchema = z.object({
  orderNumber: z.string().min(1),
  lines: z.array(ReturnLineSchema).min(1),
  caseNumber: z.string().optional(),
});
export type ReturnAuthorizationRequest = z.infer<typeof ReturnAuthorizationRequestSchema>;

export const ReturnAuthorizationSchema = z.object({
  returnAuthorizationId: z.string().min(1),
  orderNumber: z.string().min(1),
  caseNumber: z.string().optional(),
  lines: z.array(ReturnLineSchema),
  status: z.enum(['open', 'cancelled']),
  createdAt: z.string().datetime(),
});
export type ReturnAuthorization = z.infer<typeof ReturnAuthorizationSchema>;
