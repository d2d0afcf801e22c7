import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/** A bench part in a process of its own (a TypeScript entry run through tsx): started, ready once it prints `<readyPrefix> <json>`, stopped with SIGTERM. */
export interface ReadyChild<T> {
  pid: number;
  ready: T;
  /** Sends a message over the IPC channel and resolves with the child's next message. */
  ask: <A>(message: unknown) => Promise<A>;
  close: () => Promise<void>;
}

export async function startReadyChild<T>(script: string, env: Record<string, string>, readyPrefix: string, nodeArgs: string[] = []): Promise<ReadyChild<T>> {
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const lines = createInterface({ input: child.stdout! });
  const ready = await new Promise<T>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
    lines.on('line', (line) => {
      if (line.startsWith(`${readyPrefix} `)) resolve(JSON.parse(line.slice(readyPrefix.length + 1)) as T);
    });
  });
  return {
    pid: child.pid!,
    ready,
    ask: <A>(message: unknown) =>
      new Promise<A>((resolve, reject) => {
        child.once('message', (answer) => resolve(answer as A));
        child.send(message as object, (err) => err && reject(err));
      }),
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
