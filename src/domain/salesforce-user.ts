import { z } from 'zod';
import { MoneySchema } from './money';

/** A Salesforce User record id: key prefix 005, 15 or 18 characters. */
export const SALESFORCE_USER_ID = /^005[a-zA-Z0-9]{12}([a-zA-Z0-9]{3})?$/;
export const SALESFORCE_USER_ID_MESSAGE = 'a Salesforce User Id (005…, 15 or 18 characters)';
export const SalesforceUserIdSchema = z.string().regex(SALESFORCE_USER_ID, SALESFORCE_USER_ID_MESSAGE);
export type SalesforceUserId = z.infer<typeof SalesforceUserIdSchema>;

/** Who may decide: a Salesforce user, active or not, with the refund amount they may approve (none: an agent). */
export const SalesforceUserSchema = z.object({
  userId: z.string().min(15),
  name: z.string(),
  email: z.string().optional(),
  username: z.string().optional(),
  active: z.boolean(),
  /** Refund_Approval_Limit__c in the user's currency; absent = may not approve refunds. */
  refundApprovalLimit: MoneySchema.optional(),
});
export type SalesforceUser = z.infer<typeof SalesforceUserSchema>;

/** Two spellings of one user: ids compare by their case-sensitive 15-character form, names and emails without case. */
export function sameSalesforceUser(user: Pick<SalesforceUser, 'userId' | 'email' | 'username'>, other: string | undefined): boolean {
  if (!other?.trim()) return false;
  const given = other.trim();
  if (SALESFORCE_USER_ID.test(given)) return given.slice(0, 15) === user.userId.slice(0, 15);
  const lower = given.toLowerCase();
  return lower === user.email?.toLowerCase() || lower === user.username?.toLowerCase();
}
