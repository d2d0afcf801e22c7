import { InvalidArgumentError } from 'commander';
import { describeProcess, type ProcessDescription } from '../../client';
import { Stage } from '../../workflows/search-attributes';
import type { CliContext } from './context';
import { failedError } from './errors';

/** Stages in which a process waits for a person: --wait returns there instead of blocking for hours. */
export const personStages = ['awaiting-approval', 'approval-escalated', 'awaiting-agent'];

export interface WaitOptions {
  /** Return when the process reaches one of these stages while still running. */
  settleAt?: string[];
  /** Give up after this many seconds (exit 1), the process keeps running. */
  timeoutSeconds?: number;
}

const spinner = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const pollMs = 500;

/**
 * Follows a process until it closes or settles, with a progress line on stderr (rewritten in place
 * on a terminal, one line per stage change otherwise), then answers its full description.
 */
export async function waitForProcess(ctx: CliContext, workflowId: string, options: WaitOptions = {}): Promise<ProcessDescription> {
  const client = await ctx.client();
  const handle = client.workflow.getHandle(workflowId);
  const started = Date.now();
  const tty = process.stderr.isTTY === true;
  let last = '';
  let tick = 0;
  try {
    for (;;) {
      const d = await handle.describe();
      const stage = d.typedSearchAttributes.get(Stage);
      const line = `${workflowId}: ${d.status.name}${stage ? ` · ${stage}` : ''}`;
      const seconds = Math.round((Date.now() - started) / 1000);
      if (tty) process.stderr.write(`\r\x1b[2K${spinner[tick++ % spinner.length]} ${line} (${seconds}s)`);
      else if (line !== last) process.stderr.write(`… ${line}\n`);
      last = line;
      if (d.status.name !== 'RUNNING') break;
      if (stage && options.settleAt?.includes(stage)) break;
      if (options.timeoutSeconds !== undefined && Date.now() - started > options.timeoutSeconds * 1000) {
        throw failedError(`${workflowId} still ${stage ?? 'running'} after ${options.timeoutSeconds}s (it keeps running)`);
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  } finally {
    if (tty) process.stderr.write('\r\x1b[2K');
  }
  return describeProcess(client, workflowId);
}

/** Exit code for a process's final state: a failed, terminated, cancelled or timed-out execution is a failure. */
export function exitCodeOf(description: ProcessDescription): 0 | 1 {
  return ['RUNNING', 'COMPLETED', 'CONTINUED_AS_NEW'].includes(description.status) ? 0 : 1;
}

/** Commander's parser for --timeout <seconds>: a bad value is a usage error before anything is started. */
export function parseTimeout(text: string): number {
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new InvalidArgumentError('Give a positive number of seconds.');
  return seconds;
}
