import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CaseReasonSchema } from '../../domain/case';
import { RefundLinesSchema, ReplacementLinesSchema, SalesforceUserIdSchema } from '../../domain/case-lines';
import { ResolutionPolicySchema } from '../../domain/policy';
import { usageError } from './errors';

/** A JSON value from a flag: inline JSON, or @path to read it from a file. */
export function parseJsonArg(text: string, what: string): unknown {
  if (text.startsWith('@')) return readJsonFile(text.slice(1), what);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw usageError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw usageError(`cannot read ${what} file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw usageError(`${what} file ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

export interface LineSpec {
  lineNumber: number;
  sku?: string;
  quantity: number;
}

/** "10:1,20:2" (line:quantity) or "10:SKU-1:1" (line:sku:quantity), as an operator types order lines. */
export function parseLines(text: string): LineSpec[] {
  return text.split(',').map((part) => {
    const fields = part.trim().split(':');
    const [line, sku, quantity] = fields.length === 3 ? fields : [fields[0], undefined, fields[1]];
    const lineNumber = Number(line);
    const qty = Number(quantity);
    if (fields.length < 2 || fields.length > 3 || !Number.isInteger(lineNumber) || !Number.isInteger(qty) || qty < 1 || sku === '') {
      throw usageError(`--lines: "${part}" is not line:quantity or line:sku:quantity (e.g. 10:1,20:2)`);
    }
    return sku === undefined ? { lineNumber, quantity: qty } : { lineNumber, sku, quantity: qty };
  });
}

/** A policy override (--policy): validated here so a typo is a usage error, passed on as written. */
export function parsePolicy(text: string): Record<string, unknown> {
  const policy = parseJsonArg(text, '--policy');
  const checked = ResolutionPolicySchema.safeParse(policy);
  if (!checked.success || typeof policy !== 'object' || policy === null) {
    throw usageError(`--policy: ${checked.success ? 'must be a JSON object' : checked.error.issues.map((i) => `${i.path.join('.') || 'policy'}: ${i.message}`).join('; ')}`);
  }
  return policy as Record<string, unknown>;
}

const caseStart = {
  caseNumber: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/, 'a Case Number'),
  caseId: z.string().regex(/^500[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$/, 'a Salesforce Case id (500…)').optional(),
  reason: CaseReasonSchema.optional(),
  requestedBy: SalesforceUserIdSchema.optional(),
};

/** `start case-resolution`: the case only. */
export const CaseResolutionStartInputSchema = z.strictObject({ caseNumber: caseStart.caseNumber, caseId: caseStart.caseId });

/** `start refund`, as a file or from flags: the case and the chosen lines (never order, payment or segment). */
export const RefundStartInputSchema = z.strictObject({ ...caseStart, lines: RefundLinesSchema.optional() });

/** `start replacement`: the case and the lines shipped again (a sku only for an allowed substitute). */
export const ReplacementStartInputSchema = z.strictObject({ ...caseStart, lines: ReplacementLinesSchema.optional() });

const flagOf: Record<string, string> = {
  caseNumber: '--case',
  caseId: '--case-id',
  reason: '--reason',
  lines: '--lines',
  requestedBy: '--requested-by',
};

/** Validates a workflow input; a problem is named by its flag (and its field in the --input file), as one usage line. */
export function parseWorkflowInput<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const missing: string[] = [];
  const invalid: string[] = [];
  for (const issue of parsed.error.issues) {
    const path = issue.path.join('.');
    const name = flagOf[path] ? `${flagOf[path]} (${path})` : path || 'input';
    if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) missing.push(name);
    else invalid.push(`${name}: ${issue.message}`);
  }
  throw usageError([missing.length ? `missing ${missing.join(', ')}` : '', ...invalid].filter(Boolean).join('; '));
}
