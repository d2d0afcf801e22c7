import { createHash } from 'node:crypto';
import type { WorkerDeploymentOptions, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Config } from '../config';

/**
 * A build id that names the workflow code itself: the same bundle always gives the same id, and any
 * change to a workflow (or to what it imports) gives a new one, so a deploy that changed nothing in
 * the workflows does not make a new version for running executions to be pinned away from.
 */
export function buildIdOf(bundle: WorkflowBundleWithSourceMap): string {
  return `wf-${createHash('sha256').update(bundle.code).digest('hex').slice(0, 16)}`;
}

/** The orchestration worker's deployment version, or undefined when versioning is off (no WORKER_DEPLOYMENT_NAME). */
export function deploymentOptionsFor(config: Config, bundle: WorkflowBundleWithSourceMap): WorkerDeploymentOptions | undefined {
  const { deploymentName, buildId } = config.worker;
  if (!deploymentName) return undefined;
  return {
    version: { deploymentName, buildId: buildId ?? buildIdOf(bundle) },
    useWorkerVersioning: true,
    // Each workflow type declares its own behaviour (src/workflows/index.ts); this is the fallback.
    defaultVersioningBehavior: 'PINNED',
  };
}
