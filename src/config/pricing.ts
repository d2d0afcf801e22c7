import { z } from 'zod';

const ms = z.coerce.number().int().positive();

/** How the pricing feed and the promotions run (PRICING_*); unset ones keep the workflow's defaults. */
export const PricingEnvSchema = z
  .object({
    pollIntervalMs: ms.max(3_600_000).optional(),
    recheckInitialMs: ms.optional(),
    recheckMaxMs: ms.optional(),
  })
  .refine((s) => !s.recheckInitialMs || !s.recheckMaxMs || s.recheckMaxMs >= s.recheckInitialMs, { message: 'must not be less than PRICING_RECHECK_INITIAL_MS', path: ['recheckMaxMs'] });
export type PricingConfig = z.infer<typeof PricingEnvSchema>;

const names: Record<keyof PricingConfig, string> = { pollIntervalMs: 'PRICING_POLL_INTERVAL_MS', recheckInitialMs: 'PRICING_RECHECK_INITIAL_MS', recheckMaxMs: 'PRICING_RECHECK_MAX_MS' };

/** PRICING_POLL_INTERVAL_MS, PRICING_RECHECK_INITIAL_MS, PRICING_RECHECK_MAX_MS; throws naming the bad variable. */
export function pricingConfigFromEnv(env: Record<string, string | undefined> = process.env): PricingConfig {
  const parsed = PricingEnvSchema.safeParse({ pollIntervalMs: env.PRICING_POLL_INTERVAL_MS || undefined, recheckInitialMs: env.PRICING_RECHECK_INITIAL_MS || undefined, recheckMaxMs: env.PRICING_RECHECK_MAX_MS || undefined });
  if (parsed.success) return Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)) as PricingConfig;
  throw new Error(`invalid configuration: ${parsed.error.issues.map((i) => `${names[i.path[0] as keyof PricingConfig]}: ${i.message}`).join('; ')}`);
}
