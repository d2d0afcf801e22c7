import { z } from 'zod';
import { DEFAULT_FIELD_OWNERSHIP, FieldOwnershipSchema, type FieldOwnership } from '../domain/customer-master';
import { parseConfig } from './parse';

/**
 * The customer master sync (docs/master-data.md): which system owns each field, and how often the
 * ERP's customer changes are polled. Validated once at start-up, then handed to the workflows.
 */
const json = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'CUSTOMER_FIELD_OWNERSHIP is not JSON' });
    return z.NEVER;
  }
});

/** Overrides over the shipped table: `{"segment":"salesforce"}` moves one field; unknown fields or systems are refused. */
const OwnershipOverrides = FieldOwnershipSchema.partial().transform((o): FieldOwnership => ({ ...DEFAULT_FIELD_OWNERSHIP, ...o }));

export const CustomerMasterConfigSchema = z.object({
  /** CUSTOMER_SYNC=on: the intake follows Account/Contact changes and keeps the ERP's change poll running. */
  enabled: z.preprocess((v) => (typeof v === 'string' ? ['1', 'true', 'yes', 'on'].includes(v.toLowerCase()) : v), z.boolean()).default(false),
  ownership: json.pipe(OwnershipOverrides).prefault('{}'),
  /** Wait between two polls of the ERP's customer change feed. */
  pollInterval: z.string().regex(/^\d+(\.\d+)?\s*(ms|milliseconds?|s|seconds?|m|minutes?)$/, 'a duration such as "15 seconds"').default('15 seconds'),
  /** Changes asked for per page of the feed. */
  pollPageSize: z.coerce.number().int().min(1).max(500).default(100),
});
export type CustomerMasterConfig = z.infer<typeof CustomerMasterConfigSchema>;

export function customerMasterConfigFromEnv(env: Record<string, string | undefined> = process.env): CustomerMasterConfig {
  return parseConfig(
    CustomerMasterConfigSchema,
    { enabled: env.CUSTOMER_SYNC || undefined, ownership: env.CUSTOMER_FIELD_OWNERSHIP || undefined, pollInterval: env.CUSTOMER_POLL_INTERVAL || undefined, pollPageSize: env.CUSTOMER_POLL_PAGE_SIZE || undefined },
    'customerMaster',
  );
}
