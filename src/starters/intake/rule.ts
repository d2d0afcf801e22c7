import type { CaseRule } from '../../config/intake';
import type { Case } from '../../domain/case';

/** Case fields the rule reads, as change events name them: an update touching none of them cannot start anything. */
export const RULE_FIELDS: Record<keyof CaseRule, string> = { status: 'Status', reason: 'Reason', origin: 'Origin' };

export function caseMatches(rule: CaseRule, kase: Case): boolean {
  const values: Record<keyof CaseRule, string | undefined> = { status: kase.status, reason: kase.reason, origin: kase.origin };
  return (Object.keys(RULE_FIELDS) as (keyof CaseRule)[]).every((field) => {
    const allowed = rule[field] as readonly string[] | undefined;
    return !allowed || (values[field] !== undefined && allowed.includes(values[field]));
  });
}

/** Whether a change to these fields can make the rule true (the Case is read only then). */
export function touchesRule(rule: CaseRule, changedFields: string[]): boolean {
  return (Object.keys(RULE_FIELDS) as (keyof CaseRule)[]).some((field) => rule[field] && changedFields.includes(RULE_FIELDS[field]));
}
