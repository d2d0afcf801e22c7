import { relative } from 'node:path';
import { DefaultLogger } from '@temporalio/worker';
import { prebuiltBundleDir, writePrebuiltBundle } from '../src/workers/bundle';
import { buildIdOf } from '../src/workers/versioning';

/**
 * `npm run build` (and `npm start` when the bundle is missing or stale): the workflow bundle the
 * orchestration worker loads instead of bundling at start, with a sidecar recording what it was made from.
 */
async function main(): Promise<void> {
  const started = performance.now();
  const { bundle, sidecar } = await writePrebuiltBundle(prebuiltBundleDir, { logger: new DefaultLogger('WARN') });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`workflow bundle ${buildIdOf(bundle)} (${sidecar.files.length} source files, ${(bundle.code.length / 1e6).toFixed(1)} MB) in ${relative(process.cwd(), prebuiltBundleDir)} after ${seconds} s`);
}

main().catch((err: unknown) => {
  console.error(`workflow bundle failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
