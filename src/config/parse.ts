import type { z } from 'zod';

/**
 * Validates one section of the configuration, or fails start-up with every problem on one line,
 * each named by its path (`api.port: …`), so an operator fixes them all at once.
 */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, section?: string): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${[...(section ? [section] : []), ...i.path.map(String)].join('.')}: ${i.message}`).join('; ');
  throw new Error(`invalid configuration: ${problems}`);
}
