import { Command } from 'commander';
import { DeploymentNotFoundError, describeDeployment, listDeployments, setCurrentVersion, setRampingVersion, type DeploymentDescription } from '../../../client/versions';
import { action } from '../action';
import type { CliContext } from '../context';
import { notFoundError, usageError } from '../errors';
import { emit, record, table } from '../output';

interface DeploymentFlag {
  deployment?: string;
}

/**
 * `retailctl versions list|current|ramp|drain` over the server's Worker Deployment API: which build
 * of the workflow code new executions start on, a canary ramp, and whether an old build still has
 * pinned executions. The deployment is WORKER_DEPLOYMENT_NAME unless --deployment names another.
 */
export function versionsCommand(): Command {
  const versions = new Command('versions').description('worker deployment versions: list, set current, ramp, drain status');
  const withDeployment = (cmd: Command) => cmd.option('--deployment <name>', 'worker deployment (default WORKER_DEPLOYMENT_NAME, else retail-orchestrator)');
  const deploymentOf = (ctx: CliContext, flags: DeploymentFlag) => {
    // npm start's deployment when nothing else is named.
    return flags.deployment ?? ctx.config.worker.deploymentName ?? 'retail-orchestrator';
  };
  const described = async (ctx: CliContext, name: string): Promise<DeploymentDescription> => {
    try {
      return await describeDeployment(await ctx.client(), name);
    } catch (err) {
      if (err instanceof DeploymentNotFoundError) throw notFoundError(err.message);
      throw err;
    }
  };
  const knownBuild = (deployment: DeploymentDescription, buildId: string) => {
    if (!deployment.versions.some((v) => v.buildId === buildId)) {
      throw notFoundError(`deployment ${deployment.deploymentName} has no build ${buildId} (known: ${deployment.versions.map((v) => v.buildId).join(', ') || 'none'}); start its workers first`);
    }
  };

  withDeployment(versions.command('list').description('the builds of a deployment with their status (current, ramping, draining, drained), or every deployment with --all'))
    .option('--all', 'list the deployments instead')
    .action(
      action<DeploymentFlag & { all?: boolean }>(async (ctx, _args, flags) => {
        if (flags.all) {
          const all = await listDeployments(await ctx.client());
          emit(ctx, all, () => (all.length ? table(['deployment', 'current build', 'ramping build', 'created'], all.map((d) => [d.deploymentName, d.currentBuildId, d.rampingBuildId, d.createdAt])) : 'no worker deployments'));
          return;
        }
        const deployment = await described(ctx, deploymentOf(ctx, flags));
        emit(ctx, deployment, () =>
          table(
            ['build id', 'status', 'drainage', 'created', 'current since'],
            deployment.versions.map((v) => [v.buildId, v.status === 'ramping' ? `ramping ${deployment.rampingPercentage}%` : v.status, v.drainage, v.createdAt, v.currentSince]),
          ),
        );
      }),
    );

  withDeployment(versions.command('current').description('make a build current: new executions start on it; pinned ones stay where they are').argument('<buildId>'))
    .action(
      action<DeploymentFlag>(async (ctx, [buildId], flags) => {
        const name = deploymentOf(ctx, flags);
        knownBuild(await described(ctx, name), buildId);
        await setCurrentVersion(await ctx.client(), name, buildId, 'retailctl');
        emit(ctx, { deploymentName: name, currentBuildId: buildId }, () => record({ deployment: name, 'current build': buildId }));
      }),
    );

  withDeployment(versions.command('ramp').description('send PERCENT of new executions to a build (a canary); 0 stops the ramp').argument('<buildId>').argument('<percent>'))
    .action(
      action<DeploymentFlag>(async (ctx, [buildId, percentText], flags) => {
        const percent = Number(percentText);
        if (!Number.isFinite(percent) || percent < 0 || percent > 100) throw usageError(`percent: "${percentText}" is not a number from 0 to 100`);
        const name = deploymentOf(ctx, flags);
        knownBuild(await described(ctx, name), buildId);
        await setRampingVersion(await ctx.client(), name, percent === 0 ? undefined : buildId, percent, 'retailctl');
        emit(ctx, { deploymentName: name, rampingBuildId: percent === 0 ? undefined : buildId, percent }, () => record({ deployment: name, 'ramping build': percent === 0 ? '(none)' : buildId, percent }));
      }),
    );

  withDeployment(versions.command('drain').description("a build's drainage: draining while pinned executions remain, drained when its workers can stop").argument('<buildId>'))
    .action(
      action<DeploymentFlag>(async (ctx, [buildId], flags) => {
        const deployment = await described(ctx, deploymentOf(ctx, flags));
        knownBuild(deployment, buildId);
        const version = deployment.versions.find((v) => v.buildId === buildId)!;
        const canStop = version.status === 'drained' || (version.status === 'inactive' && version.drainage !== 'draining');
        emit(ctx, { ...version, canStopWorkers: canStop }, () => record({ build: buildId, status: version.status, drainage: version.drainage ?? '(not draining)', 'workers can stop': canStop ? 'yes' : 'no' }));
      }),
    );
  return versions;
}
