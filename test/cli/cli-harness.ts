import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Sandbox } from '../../sandbox';
import { buildActivities } from '../../src/activities';
import { policySourceOf } from '../../src/config/policy';
import type { Config } from '../../src/config';
import { createWorkers, shutdownWorkers } from '../../src/workers/workers';
import type { CaseContext } from '../../src/workflows/lib/case-context';
import { testCodecEnv } from '../helpers/codec';
import { configFor, startTestSandbox } from '../helpers/sandbox';
import { getTestEnv, getWorkflowBundle, isolatedQueueEnv } from '../helpers/temporal';
import { openCase } from '../workflows/case-resolution-world';
import { paidByCard, pickCase } from '../workflows/refund-harness';

const projectRoot = resolve(__dirname, '..', '..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** retailctl as an operator runs it: the bin, its own process, configured only through the environment. */
export function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((done, fail) => {
    const { RETAILCTL_DEBUG: _debug, ...inherited } = process.env;
    const child = spawn(process.execPath, ['bin/retailctl.js', ...args], { cwd: projectRoot, env: { ...inherited, ...testCodecEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

/** stdout of a --json invocation, with the whole result in the message when it is not JSON. */
export function jsonOf<T = Record<string, unknown>>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${result.code}):\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  }
}

/** The CLI's error contract: one line on stderr, no stack trace. */
export function isOneLineError(result: CliResult): boolean {
  const lines = result.stderr.trim().split('\n');
  return lines.length === 1 && lines[0].startsWith('retailctl: ') && !/\n\s+at /.test(result.stderr);
}

export interface CliFixture {
  env: TestWorkflowEnvironment;
  sandbox: Sandbox;
  config: Config;
  /** The environment the CLI runs with: the dev server's address and this suite's own task queues. */
  cliEnv: Record<string, string>;
  cli: (...args: string[]) => Promise<CliResult>;
  /** A fresh copy of a seeded card-paid case (its own case number, so its own workflow ids; its own order and payment). */
  freshCase: (exceptOrders?: string[]) => CaseContext;
  /** Writes a JSON file into this suite's temporary folder and answers its path. */
  file: (name: string, content: unknown) => string;
  close: () => Promise<void>;
}

let shared: Promise<[TestWorkflowEnvironment, WorkflowBundleWithSourceMap]> | undefined;
export const sharedEnv = () => (shared ??= Promise.all([getTestEnv(), getWorkflowBundle()]));

/** A sandbox and the real worker set on this suite's own queues, running until close(); the CLI is pointed at both. */
export async function cliFixture(prefix: string, options: { workers?: boolean; policy?: Record<string, unknown> } = {}): Promise<CliFixture> {
  const [env, workflowBundle] = await sharedEnv();
  const sandbox = await startTestSandbox();
  const queueEnv = isolatedQueueEnv(prefix);
  const config = configFor(sandbox, queueEnv);
  // The workers' configured policy (the CLI never sends one): what RESOLUTION_POLICY would set.
  const activities = buildActivities(config, { policy: policySourceOf(options.policy ?? {}) });
  let workers: Worker[] = [];
  let running: Promise<unknown> = Promise.resolve();
  if (options.workers !== false) {
    workers = await createWorkers(config, { connection: env.nativeConnection, workflowBundle, activities });
    running = Promise.all(workers.map((w) => w.run()));
  }
  const u = sandbox.urls;
  // The CLI reads the case's facts itself before a start: it is pointed at the same systems as the workers.
  const systemsEnv = { SALESFORCE_LOGIN_URL: u.salesforce!, ERP_CLOUD_URL: u.erpCloud!, ERP_LEGACY_URL: u.erpLegacy!, WAREHOUSE_URL: u.warehouse!, PAYMENTS_URL: u.payments!, CARRIER_URL: u.carrier! };
  const cliEnv = { TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace ?? 'default', ...queueEnv, ...systemsEnv };
  const dir = mkdtempSync(join(tmpdir(), 'retailctl-'));
  // Each fresh case copies a different seeded case, so no two refunds in a suite touch the same payment.
  const used = new Set<string>();
  return {
    env,
    sandbox,
    config,
    cliEnv,
    cli: (...args) => runCli(args, cliEnv),
    freshCase: (exceptOrders = []) => {
      const { ctx: template } = pickCase(sandbox, (order, world) => !used.has(order.orderNumber) && !exceptOrders.includes(order.orderNumber) && paidByCard(order, world));
      used.add(template.orderNumber);
      const opened = openCase(sandbox, template.caseNumber);
      return { ...template, caseNumber: opened.caseNumber, caseId: opened.caseId };
    },
    file: (name, content) => {
      const path = join(dir, name);
      writeFileSync(path, JSON.stringify(content));
      return path;
    },
    close: async () => {
      shutdownWorkers(workers);
      await running;
      await activities.close();
      await sandbox.close();
    },
  };
}
