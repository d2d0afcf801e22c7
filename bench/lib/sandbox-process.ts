import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Sandbox } from '../../sandbox';
import { buildWorld, type WorldOptions } from '../../sandbox/seed/world';

/** A sandbox running in a child process, so its CPU can be told apart from the product's. */
export interface SandboxProcess extends Pick<Sandbox, 'urls' | 'world' | 'close'> {
  pubsub?: { address: string };
  pid: number;
}

export async function startSandboxProcess(world: WorldOptions = {}): Promise<SandboxProcess> {
  // The world is seeded: both processes build the same one when given the same options and day.
  const options: WorldOptions = { ...world, baseDate: world.baseDate ?? new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00Z') };
  const child = spawn(process.execPath, ['--import', 'tsx', require.resolve('./sandbox-child.ts')], {
    env: { ...process.env, BENCH_SANDBOX_WORLD: JSON.stringify(options) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const ready = await new Promise<{ urls: Sandbox['urls']; pubsub?: string }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the sandbox process exited with ${code} before it was ready`)));
    lines.on('line', (line) => {
      if (line.startsWith('sandbox-ready ')) resolve(JSON.parse(line.slice('sandbox-ready '.length)) as { urls: Sandbox['urls']; pubsub?: string });
    });
  });
  let cached: ReturnType<typeof buildWorld> | undefined;
  return {
    pid: child.pid!,
    urls: ready.urls,
    pubsub: ready.pubsub ? { address: ready.pubsub } : undefined,
    world: () => (cached ??= buildWorld(options)),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
