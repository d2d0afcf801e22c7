import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { SalesforceActivities } from '../../activities/salesforce';
import { SalesforceUserIdSchema, type SalesforceUser } from '../../domain/salesforce-user';
import { failureType } from './persistent';

/** Failure types of a refused decider (clients branch on these, never on the message). */
export const DeciderRejections = {
  malformed: 'InvalidUserIdError',
  unknown: 'UnknownUserError',
  inactive: 'InactiveUserError',
  unavailable: 'UserCheckUnavailableError',
} as const;

export const refuse = (type: string, message: string): ApplicationFailure => ApplicationFailure.create({ type, message, nonRetryable: true });

/** The update's validator part: a Salesforce User Id, not a free-text name. */
export function assertUserId(value: unknown, field: string): void {
  if (!SalesforceUserIdSchema.safeParse(value).success) throw refuse(DeciderRejections.malformed, `${field} must be a Salesforce User Id (005…, 15 or 18 characters)`);
}

/**
 * Reads the deciding user from Salesforce and requires them to exist and be active. A few quick
 * attempts only: the caller waits for the answer, and "try again" beats a hanging approval.
 */
export async function activeDecider(salesforceQueue: string, userId: string): Promise<SalesforceUser> {
  const { getSalesforceUser } = proxyActivities<SalesforceActivities>({
    taskQueue: salesforceQueue,
    startToCloseTimeout: '10 seconds',
    retry: { initialInterval: '500 milliseconds', maximumAttempts: 3 },
    summary: `Check Salesforce user ${userId}`,
  });
  let user: SalesforceUser;
  try {
    user = await getSalesforceUser(userId);
  } catch (err) {
    const type = failureType(err);
    if (type === 'NotFoundError' || type === 'ValidationError') throw refuse(DeciderRejections.unknown, `no Salesforce user ${userId}`);
    throw refuse(DeciderRejections.unavailable, `Salesforce could not confirm user ${userId} (${type ?? 'error'}); try again`);
  }
  if (!user.active) throw refuse(DeciderRejections.inactive, `Salesforce user ${user.name} (${userId}) is inactive`);
  return user;
}
