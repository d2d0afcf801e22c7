import { startTestSandbox } from '../../test/helpers/sandbox';
import type { WorldOptions } from '../../sandbox/seed/world';

/** The bench's sandbox in a process of its own (bench/lib/sandbox-process.ts): prints its addresses, stops on SIGTERM. */
async function main(): Promise<void> {
  const raw = JSON.parse(process.env.BENCH_SANDBOX_WORLD ?? '{}') as WorldOptions & { baseDate?: string };
  const world: WorldOptions = { ...raw, baseDate: raw.baseDate ? new Date(raw.baseDate) : undefined };
  const sandbox = await startTestSandbox(undefined, {}, world);
  process.once('SIGTERM', () => void sandbox.close().then(() => process.exit(0)));
  console.log(`sandbox-ready ${JSON.stringify({ urls: sandbox.urls, pubsub: sandbox.pubsub?.address })}`);
}

main().catch((err: unknown) => {
  console.error(`sandbox failed to start: ${(err as Error).message}`);
  process.exit(1);
});
