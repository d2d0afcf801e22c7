import { bundleWorkflowCode, type Logger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { failureConverterPath } from '../temporal/payload-codec';

/** Tracing (spans carried from the client through workflows to activities) and business measurement around every workflow. */
export const workflowInterceptorModules = [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'), require.resolve('../workflows/interceptors')];

/** Bundles the workflow code once per process; every orchestration worker (and every test suite) reuses it. */
export function bundleWorkflows(logger?: Logger): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), workflowInterceptorModules, failureConverterPath, logger });
}
