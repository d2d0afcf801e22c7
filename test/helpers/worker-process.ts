import { spawn, type ChildProcess } from 'node:child_process';
import { testCodecEnv } from './codec';
import { resolve } from 'node:path';

const projectRoot = resolve(__dirname, '..', '..');

export interface WorkerProcess {
  pid: number;
  /** Resolves once the worker logged "worker ready" (its queues are polled); rejects if it exits first. */
  ready: Promise<void>;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Everything the process wrote, for a failing test's message. */
  output: () => string;
  kill: (signal: NodeJS.Signals) => Promise<void>;
}

/**
 * The production worker entry (src/workers/main.ts) as its own OS process, configured only through
 * the environment like a deployment: Temporal address, queues, sandbox URLs. Metrics off (port 0),
 * so several workers on one host never clash.
 */
export function spawnWorkerProcess(env: Record<string, string>, readyTimeoutMs = 60_000): WorkerProcess {
  return spawnProductProcess('src/workers/main.ts', 'worker ready', env, readyTimeoutMs);
}

/** Any of the product's entry points as its own OS process; ready once its output contains `readyText`. `nodeArgs` go after tsx's loader (benchmarks preload probes). */
export function spawnProductProcess(script: string, readyText: string, env: Record<string, string>, readyTimeoutMs = 60_000, nodeArgs: string[] = []): WorkerProcess {
  const name = script.split('/').at(-2) ?? script;
  const child: ChildProcess = spawn(process.execPath, ['--require', 'tsx/cjs', ...nodeArgs, script], {
    cwd: projectRoot,
    env: { ...process.env, WORKER_METRICS_PORT: '0', LOG_FORMAT: 'json', LOG_LEVEL: 'info', ...testCodecEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const ready = new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`${name} not ready within ${readyTimeoutMs} ms:\n${output}`)), readyTimeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(readyText)) {
        clearTimeout(timer);
        done();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`${name} exited (${code}) before it was ready:\n${output}`));
    });
  });
  ready.catch(() => undefined);
  return {
    pid: child.pid!,
    ready,
    exited,
    output: () => output,
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
