import { bundleWorkflowCode, type Logger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { failureConverterPath } from '../temporal/payload-codec';

/** Measurement around every workflow (business metrics and the activities' business context). */
export const workflowInterceptorModules = [require.resolve('../workflows/interceptors')];

/** Bundles the workflow code once per process; every orchestration worker (and every test suite) reuses it. */
export function bundleWorkflows(logger?: Logger): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), workflowInterceptorModules, failureConverterPath, logger });
}
