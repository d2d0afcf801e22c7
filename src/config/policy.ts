import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ResolutionPolicySchema, type ResolutionPolicy } from '../domain/policy';

/**
 * The retailer's resolution policy, from RESOLUTION_POLICY_FILE (a JSON file) or RESOLUTION_POLICY
 * (inline JSON) over the defaults, validated once at start-up. Optional overrides per customer
 * segment and/or region are whole policies resolved at load time, so a bad override fails the start too:
 *   { "refundWindowDays": 45, "overrides": [{ "segment": "loyalty-gold", "policy": { "refundWindowDays": 90 } }] }
 */
const StrictPolicy = ResolutionPolicySchema.strict();

const PolicyFileSchema = z
  .object({
    overrides: z
      .array(
        z
          .object({
            segment: z.string().min(1).optional(),
            region: z.string().min(1).optional(),
            policy: z.record(z.string(), z.unknown()),
          })
          .strict()
          .refine((o) => o.segment !== undefined || o.region !== undefined, 'an override names a segment, a region or both'),
      )
      .default([]),
  })
  .loose();

export interface PolicyOverride {
  segment?: string;
  region?: string;
  policy: ResolutionPolicy;
}

export interface ResolutionPolicySource {
  base: ResolutionPolicy;
  /** Most specific first (segment and region, then one of them), in file order within each. */
  overrides: PolicyOverride[];
}

export class PolicyConfigError extends Error {
  override readonly name = 'PolicyConfigError';
  /** The bad fields, as dotted paths (e.g. "overrides.0.policy.approvalTimeout"); empty when the source itself is unreadable. */
  constructor(
    message: string,
    readonly fields: string[] = [],
  ) {
    super(message);
  }
}

type Env = Record<string, string | undefined>;

/** Reads and validates the policy; throws PolicyConfigError naming the source and each bad field. */
export function loadResolutionPolicy(env: Env = process.env): ResolutionPolicySource {
  const file = env.RESOLUTION_POLICY_FILE?.trim();
  const inline = env.RESOLUTION_POLICY?.trim();
  if (file && inline) throw new PolicyConfigError('set RESOLUTION_POLICY_FILE or RESOLUTION_POLICY, not both');
  if (!file && !inline) return policySourceOf({});
  const origin = file ? `RESOLUTION_POLICY_FILE=${file}` : 'RESOLUTION_POLICY';
  let text: string;
  try {
    text = file ? readFileSync(file, 'utf8') : inline!;
  } catch (err) {
    throw new PolicyConfigError(`invalid resolution policy (${origin}): cannot read the file: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new PolicyConfigError(`invalid resolution policy (${origin}): not JSON: ${(err as Error).message}`);
  }
  return policySourceOf(raw, origin);
}

/** Validates a policy document (base fields plus optional overrides) already parsed from JSON. */
export function policySourceOf(raw: unknown, origin = 'policy'): ResolutionPolicySource {
  const fail = (issues: z.core.$ZodIssue[], prefix: (string | number)[] = []): never => {
    // An unknown key is reported on its parent: name the key itself.
    const fields = issues.flatMap((i) => {
      const path = [...prefix, ...i.path].map(String);
      return i.code === 'unrecognized_keys' ? i.keys.map((k) => [...path, k].join('.')) : [path.join('.') || '(policy)'];
    });
    const problems = issues.map((i, n) => `${fields[n]}: ${i.message}`).join('; ');
    throw new PolicyConfigError(`invalid resolution policy (${origin}): ${problems}`, fields);
  };
  const document = PolicyFileSchema.safeParse(raw);
  if (!document.success) return fail(document.error.issues);
  const { overrides, ...baseInput } = document.data;
  const base = StrictPolicy.safeParse(baseInput);
  if (!base.success) return fail(base.error.issues);
  const resolved = overrides.map((o, index) => {
    const policy = StrictPolicy.safeParse({ ...baseInput, ...o.policy });
    if (!policy.success) return fail(policy.error.issues, ['overrides', index, 'policy']);
    return { segment: o.segment, region: o.region, policy: policy.data };
  });
  const specificity = (o: PolicyOverride) => (o.segment ? 1 : 0) + (o.region ? 1 : 0);
  return { base: base.data, overrides: [...resolved].sort((a, b) => specificity(b) - specificity(a)) };
}

/** The policy for one customer: the most specific override that matches, else the base policy. */
export function resolvePolicy(source: ResolutionPolicySource, who: { segment?: string; region?: string }): ResolutionPolicy {
  const match = source.overrides.find((o) => (o.segment === undefined || o.segment === who.segment) && (o.region === undefined || o.region === who.region));
  return match?.policy ?? source.base;
}
