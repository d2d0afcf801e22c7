import { resolvePolicy, type ResolutionPolicySource } from '../config/policy';
import type { ResolutionPolicy } from '../domain/policy';

export interface PolicyRequest {
  segment?: string;
  region?: string;
}

/**
 * The resolution policy as configured for this deployment. Registered on the orchestration worker
 * and called as a local activity: it reads memory, so it needs no queue of its own, yet its answer is
 * recorded in the history (a config change never alters a running workflow on replay).
 */
export function createPolicyActivities(policy: ResolutionPolicySource | ResolutionPolicy) {
  const source: ResolutionPolicySource = 'base' in policy ? policy : { base: policy, overrides: [] };
  return {
    async getResolutionPolicy(request: PolicyRequest): Promise<ResolutionPolicy> {
      return resolvePolicy(source, request);
    },
  };
}

export type PolicyActivities = ReturnType<typeof createPolicyActivities>;
