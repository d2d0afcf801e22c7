import { z } from 'zod';

/** Loyalty segment: decides refund policy thresholds and goodwill. */
export const CustomerSegmentSchema = z.enum(['standard', 'loyalty-silver', 'loyalty-gold', 'employee']);
export type CustomerSegment = z.infer<typeof CustomerSegmentSchema>;

/** A customer as the front office knows them (Salesforce Account + primary Contact). */
export const CustomerSchema = z.object({
  customerId: z.string().min(1),
  /** Salesforce Account id. */
  accountId: z.string().min(1),
  contactId: z.string().optional(),
  name: z.string(),
  email: z.string().optional(),
  phone: z.string().optional(),
  segment: CustomerSegmentSchema.optional(),
  region: z.string().optional(),
  homeStoreId: z.string().optional(),
});
export type Customer = z.infer<typeof CustomerSchema>;
