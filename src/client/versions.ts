import type { Client } from '@temporalio/client';
import { tsToDate } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';

/**
 * The server's Worker Deployment API as the product uses it: which builds of the workflow code
 * exist, which one new executions start on (current, and a ramping one for a canary), and whether
 * an old build still has pinned executions (draining) or none (drained: safe to stop its workers).
 */
export type VersionStatus = 'inactive' | 'current' | 'ramping' | 'draining' | 'drained' | 'unknown';
export type DrainageStatus = 'draining' | 'drained' | undefined;

export interface DeploymentVersion {
  deploymentName: string;
  buildId: string;
  status: VersionStatus;
  drainage: DrainageStatus;
  createdAt?: string;
  currentSince?: string;
  rampingSince?: string;
}

export interface DeploymentDescription {
  deploymentName: string;
  currentBuildId?: string;
  rampingBuildId?: string;
  rampingPercentage?: number;
  versions: DeploymentVersion[];
}

const { WorkerDeploymentVersionStatus: S, VersionDrainageStatus: D } = temporal.api.enums.v1;
const statusNames: Record<number, VersionStatus> = {
  [S.WORKER_DEPLOYMENT_VERSION_STATUS_INACTIVE]: 'inactive',
  [S.WORKER_DEPLOYMENT_VERSION_STATUS_CREATED]: 'inactive',
  [S.WORKER_DEPLOYMENT_VERSION_STATUS_CURRENT]: 'current',
  [S.WORKER_DEPLOYMENT_VERSION_STATUS_RAMPING]: 'ramping',
  [S.WORKER_DEPLOYMENT_VERSION_STATUS_DRAINING]: 'draining',
  [S.WORKER_DEPLOYMENT_VERSION_STATUS_DRAINED]: 'drained',
};
const drainageNames: Record<number, DrainageStatus> = { [D.VERSION_DRAINAGE_STATUS_DRAINING]: 'draining', [D.VERSION_DRAINAGE_STATUS_DRAINED]: 'drained' };
const iso = (ts: Parameters<typeof tsToDate>[0] | null | undefined) => (ts ? tsToDate(ts).toISOString() : undefined);

export class DeploymentNotFoundError extends Error {
  override name = 'DeploymentNotFoundError';
}

const NOT_FOUND = 5;
const FAILED_PRECONDITION = 9;
const isNotFound = (err: unknown) => (err as { code?: number }).code === NOT_FOUND;

export async function listDeployments(client: Client): Promise<{ deploymentName: string; currentBuildId?: string; rampingBuildId?: string; createdAt?: string }[]> {
  const out: { deploymentName: string; currentBuildId?: string; rampingBuildId?: string; createdAt?: string }[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.listWorkerDeployments({ namespace: client.options.namespace, pageSize: 100, nextPageToken });
    for (const d of page.workerDeployments ?? []) {
      out.push({
        deploymentName: d.name ?? '',
        currentBuildId: d.routingConfig?.currentDeploymentVersion?.buildId || undefined,
        rampingBuildId: d.routingConfig?.rampingDeploymentVersion?.buildId || undefined,
        createdAt: iso(d.createTime),
      });
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return out;
}

export async function describeDeployment(client: Client, deploymentName: string): Promise<DeploymentDescription> {
  let info;
  try {
    ({ workerDeploymentInfo: info } = await client.workflowService.describeWorkerDeployment({ namespace: client.options.namespace, deploymentName }));
  } catch (err) {
    if (isNotFound(err)) throw new DeploymentNotFoundError(`no worker deployment named ${deploymentName}`);
    throw err;
  }
  const routing = info?.routingConfig;
  return {
    deploymentName,
    currentBuildId: routing?.currentDeploymentVersion?.buildId || undefined,
    rampingBuildId: routing?.rampingDeploymentVersion?.buildId || undefined,
    rampingPercentage: routing?.rampingDeploymentVersion?.buildId ? (routing.rampingVersionPercentage ?? 0) : undefined,
    versions: (info?.versionSummaries ?? []).map((v) => ({
      deploymentName,
      buildId: v.deploymentVersion?.buildId ?? '',
      status: statusNames[v.status ?? 0] ?? 'unknown',
      drainage: drainageNames[v.drainageInfo?.status ?? v.drainageStatus ?? 0],
      createdAt: iso(v.createTime),
      currentSince: iso(v.currentSinceTime),
      rampingSince: iso(v.rampingSinceTime),
    })),
  };
}

/** Whether a version's workers have polled yet (the server refuses to route to a version it has not seen). */
export async function versionExists(client: Client, deploymentName: string, buildId: string): Promise<boolean> {
  // Listing first keeps the server from logging a not-found error for every poll before the first registration.
  if (!(await listDeployments(client)).some((d) => d.deploymentName === deploymentName)) return false;
  try {
    return (await describeDeployment(client, deploymentName)).versions.some((v) => v.buildId === buildId);
  } catch (err) {
    if (err instanceof DeploymentNotFoundError) return false;
    throw err;
  }
}

/** New executions start on this build from now on; executions pinned to others stay where they are. */
export async function setCurrentVersion(client: Client, deploymentName: string, buildId: string, identity = 'retail-orchestrator'): Promise<void> {
  await client.workflowService.setWorkerDeploymentCurrentVersion({ namespace: client.options.namespace, deploymentName, buildId, identity });
}

/**
 * setCurrentVersion for a build whose workers are starting: the server refuses (FAILED_PRECONDITION)
 * until the new build has polled every task queue the current one serves (a worker registers its
 * workflow and activity pollers one after the other), so this retries that refusal until the deadline.
 */
export async function makeCurrentOnceRegistered(client: Client, deploymentName: string, buildId: string, identity = 'retail-orchestrator', timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await setCurrentVersion(client, deploymentName, buildId, identity);
    } catch (err) {
      const notYet = (err as { code?: number }).code === FAILED_PRECONDITION && /missing active task queues/.test((err as Error).message);
      if (!notYet || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** A canary: this percentage of new executions start on the build (0 keeps it registered but idle); no build id stops the ramp. */
export async function setRampingVersion(client: Client, deploymentName: string, buildId: string | undefined, percentage: number, identity = 'retail-orchestrator'): Promise<void> {
  if (!(percentage >= 0 && percentage <= 100)) throw new RangeError('a ramp is a percentage from 0 to 100');
  await client.workflowService.setWorkerDeploymentRampingVersion({ namespace: client.options.namespace, deploymentName, buildId: buildId ?? '', percentage: buildId ? percentage : 0, identity });
}
