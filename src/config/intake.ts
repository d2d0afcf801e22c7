import { z } from 'zod';
import { CaseReasonSchema } from '../domain/case';
import { parseConfig } from './parse';

/**
 * The Salesforce intake (src/starters/intake): which topics it follows, how many events it takes
 * per batch, and which Case changes start a case resolution. Validated once at start-up.
 */
export const IntakeTopics = ['/data/CaseChangeEvent', '/event/Resolution_Requested__e', '/data/AccountChangeEvent', '/data/ContactChangeEvent'] as const;
export type IntakeTopic = (typeof IntakeTopics)[number];
/** Followed by default: the case topics (the customer topics are added by CUSTOMER_SYNC, docs/master-data.md). */
export const DefaultIntakeTopics: IntakeTopic[] = ['/data/CaseChangeEvent', '/event/Resolution_Requested__e'];
export const CustomerIntakeTopics: IntakeTopic[] = ['/data/AccountChangeEvent', '/data/ContactChangeEvent'];

const labels = z.array(z.string().min(1)).min(1).optional();

/** A Case starts its resolution when every listed field has one of the listed values (status and origin as Salesforce's picklist holds them). */
export const CaseRuleSchema = z
  .strictObject({ status: labels, reason: z.array(CaseReasonSchema).min(1).optional(), origin: labels })
  .refine((r) => Object.values(r).some(Boolean), 'a case rule names at least one of status, reason, origin');
export type CaseRule = z.infer<typeof CaseRuleSchema>;

const json = (what: string) =>
  z.string().transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: `${what} is not JSON` });
      return z.NEVER;
    }
  });

export const IntakeConfigSchema = z.object({
  enabled: z.preprocess((v) => (typeof v === 'string' ? !['0', 'false', 'no', 'off'].includes(v.toLowerCase()) : v), z.boolean()).default(true),
  topics: z
    .string()
    .transform((t) => t.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.enum(IntakeTopics)).min(1))
    .prefault(DefaultIntakeTopics.join(',')),
  /** Events requested per FetchRequest; the replay id is stored after each handled batch (Salesforce allows 1–100). */
  batchSize: z.coerce.number().int().min(1).max(100).default(25),
  rule: json('INTAKE_CASE_RULE').pipe(CaseRuleSchema).prefault('{"status":["New"],"reason":["damaged-item","wrong-item","not-received","delayed-shipment"]}'),
  /** Names this intake's cursor workflows ({id}/{topic}), so intakes of two orgs on one cluster keep apart. */
  id: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash, underscore').default('intake'),
  /** Wait before resubscribing after the stream failed (network, Salesforce unavailable). */
  retryDelayMs: z.coerce.number().int().positive().default(2_000),
});
export type IntakeConfig = z.infer<typeof IntakeConfigSchema>;

export function intakeConfigFromEnv(env: Record<string, string | undefined> = process.env): IntakeConfig {
  const input = {
    enabled: env.INTAKE_ENABLED || undefined,
    topics: env.INTAKE_TOPICS || undefined,
    batchSize: env.INTAKE_BATCH_SIZE || undefined,
    rule: env.INTAKE_CASE_RULE || undefined,
    retryDelayMs: env.INTAKE_RETRY_DELAY_MS || undefined,
    id: env.INTAKE_ID || undefined,
  };
  return parseConfig(IntakeConfigSchema, input, 'intake');
}
