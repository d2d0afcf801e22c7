import type { Sandbox } from '../../sandbox';
import { buildWorld, type WorldOptions } from '../../sandbox/seed/world';
import { startReadyChild } from './child-process';

/** A sandbox running in a child process, so its CPU can be told apart from the product's. */
export interface SandboxProcess extends Pick<Sandbox, 'urls' | 'world' | 'close'> {
  pubsub?: { address: string };
  pid: number;
}

export async function startSandboxProcess(world: WorldOptions = {}): Promise<SandboxProcess> {
  // The world is seeded: both processes build the same one when given the same options and day.
  const options: WorldOptions = { ...world, baseDate: world.baseDate ?? new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00Z') };
  const child = await startReadyChild<{ urls: Sandbox['urls']; pubsub?: string }>(require.resolve('./sandbox-child.ts'), { BENCH_SANDBOX_WORLD: JSON.stringify(options) }, 'sandbox-ready');
  let cached: ReturnType<typeof buildWorld> | undefined;
  return {
    pid: child.pid,
    urls: child.ready.urls,
    pubsub: child.ready.pubsub ? { address: child.ready.pubsub } : undefined,
    world: () => (cached ??= buildWorld(options)),
    close: child.close,
  };
}
