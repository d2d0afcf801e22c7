import type { Sandbox } from '../../sandbox';
import { seededUserId } from '../../sandbox/systems/salesforce/state';

/** The seeded Salesforce users (sandbox/seed/world.ts) by role. */
export const seededUsers = {
  agent: 'ana.agent@retail.example',
  agentEur: 'bo.agent@retail.example',
  supervisorUsd: 'sam.supervisor@retail.example',
  /** A USD supervisor whose limit is 50.00. */
  smallLimitUsd: 'kim.supervisor@retail.example',
  supervisorEur: 'eva.supervisor@retail.example',
  supervisorGbp: 'uma.supervisor@retail.example',
  inactive: 'lee.former@retail.example',
} as const;

/** A seeded user's Salesforce User Id in this sandbox. */
export function userId(sandbox: Sandbox, role: keyof typeof seededUsers): string {
  return seededUserId(sandbox.world(), seededUsers[role]);
}

/** A supervisor whose limit (10,000.00) covers any seeded order in that currency. */
export function supervisorFor(sandbox: Sandbox, currency: string): string {
  const role = ({ USD: 'supervisorUsd', EUR: 'supervisorEur', GBP: 'supervisorGbp' } as const)[currency as 'USD' | 'EUR' | 'GBP'];
  if (!role) throw new Error(`no seeded supervisor for ${currency}`);
  return userId(sandbox, role);
}
