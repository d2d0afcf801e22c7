import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { defaultBundleTelemetry, readPrebuiltBundle, writePrebuiltBundle } from '../../src/workers/bundle';
import { buildIdOf } from '../../src/workers/versioning';
import { getTestEnv, getWorkflowBundle, isolatedQueueEnv, testEnvTimeoutMs } from '../helpers/temporal';
import { spawnWorkerProcess } from '../helpers/worker-process';

const quiet = new DefaultLogger('ERROR');

/** The "worker ready" line's fields from a worker's JSON log. */
function readyLine(output: string): { workflowBundle?: string; deployment?: { buildId: string } } {
  const line = output.split('\n').find((l) => l.includes('"worker ready"'));
  assert.ok(line, `no "worker ready" line in:\n${output}`);
  return JSON.parse(line) as { workflowBundle?: string; deployment?: { buildId: string } };
}

describe('prebuilt workflow bundle', function () {
  this.timeout(180_000);
  let out: string;

  before(() => {
    out = mkdtempSync(join(tmpdir(), 'workflow-bundle-'));
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it('is used when it matches the sources, and gives the same build id as bundling at start', async () => {
    const [{ bundle: written }, atStart] = await Promise.all([writePrebuiltBundle(out, { logger: quiet }), getWorkflowBundle(defaultBundleTelemetry)]);
    const read = readPrebuiltBundle(out);
    assert.ok('bundle' in read, `expected the bundle, got ${JSON.stringify(read)}`);
    assert.equal(read.bundle.code, written.code);
    assert.equal(buildIdOf(read.bundle), buildIdOf(atStart), 'prebuilt and start-time bundles are the same version');
  });

  it('is ignored, with the reason, when a source changed, a source is gone, or the code does not match its sidecar', async () => {
    // A workflow module of its own inside the project, so the bundler resolves @temporalio/workflow like the product's.
    const fixture = resolve(__dirname, '..', '..', '.state', `bundle-fixture-${process.pid}`);
    mkdirSync(fixture, { recursive: true });
    try {
      writeFileSync(join(fixture, 'greeting.ts'), "export const greeting = 'hello';\n");
      writeFileSync(join(fixture, 'index.ts'), "import { greeting } from './greeting';\nexport async function greet(): Promise<string> {\n  return greeting;\n}\n");
      const dir = join(out, 'fixture');
      const { sidecar } = await writePrebuiltBundle(dir, { workflowsPath: join(fixture, 'index.ts'), logger: quiet });
      assert.ok(sidecar.files.some((f) => f.endsWith('greeting.ts')), 'an imported file is one of the recorded sources');
      assert.ok(sidecar.packages['@temporalio/workflow'] && sidecar.packages['@temporalio/worker'], 'the SDK and the bundler versions are recorded');
      assert.ok('bundle' in readPrebuiltBundle(dir));

      writeFileSync(join(fixture, 'greeting.ts'), "export const greeting = 'hello again';\n");
      assert.deepEqual(readPrebuiltBundle(dir), { stale: 'the workflow sources (or the packages they use) changed since it was built' });

      rmSync(join(fixture, 'greeting.ts'));
      assert.deepEqual(readPrebuiltBundle(dir), { stale: 'a workflow source file it was built from is gone' });

      writeFileSync(join(fixture, 'greeting.ts'), "export const greeting = 'hello';\n");
      assert.ok('bundle' in readPrebuiltBundle(dir), 'the original source again: the bundle matches again');
      writeFileSync(join(dir, 'workflows.js'), `${readFileSync(join(dir, 'workflows.js'), 'utf8')}\n// edited\n`);
      assert.deepEqual(readPrebuiltBundle(dir), { stale: 'its code does not match its sidecar' });

      writeFileSync(join(dir, 'workflows.json'), '{"codeSha256": "nope"}');
      assert.deepEqual(readPrebuiltBundle(dir), { stale: 'its sidecar is unreadable' });
      assert.deepEqual(readPrebuiltBundle(join(out, 'nothing-here')), { missing: true });
    } finally {
      rmSync(fixture, { recursive: true, force: true });
    }
  });

  describe('in the worker process', () => {
    let env: TestWorkflowEnvironment;
    before(async function () {
      this.timeout(testEnvTimeoutMs);
      env = await getTestEnv();
    });

    it('polls with the prebuilt bundle, or bundles at start when it is stale, under the same build id', async () => {
      // What a worker exporting no spans bundles (the worker process gets no OTLP endpoint).
      const atStart = buildIdOf(await getWorkflowBundle(defaultBundleTelemetry));
      const run = async (bundleDir: string) => {
        const worker = spawnWorkerProcess({
          ...isolatedQueueEnv('prebuilt'),
          WORKER_TASK_QUEUES: 'orchestration',
          TEMPORAL_ADDRESS: env.address,
          TEMPORAL_NAMESPACE: env.namespace ?? 'default',
          WORKER_DEPLOYMENT_NAME: 'retail-prebuilt-test',
          WORKER_WORKFLOW_BUNDLE_DIR: bundleDir,
        }, 120_000);
        try {
          await worker.ready;
          return { ready: readyLine(worker.output()), output: worker.output() };
        } finally {
          await worker.kill('SIGTERM');
        }
      };

      const fresh = await run(out);
      assert.equal(fresh.ready.workflowBundle, 'prebuilt');
      assert.equal(fresh.ready.deployment?.buildId, atStart);

      // The same bundle, but its recorded sources no longer match: never used, and said so.
      const sidecar = JSON.parse(readFileSync(join(out, 'workflows.json'), 'utf8')) as { sourcesHash: string };
      writeFileSync(join(out, 'workflows.json'), JSON.stringify({ ...sidecar, sourcesHash: '0'.repeat(64) }));
      const stale = await run(out);
      assert.equal(stale.ready.workflowBundle, 'bundled at start');
      assert.equal(stale.ready.deployment?.buildId, atStart);
      assert.match(stale.output, /ignoring the prebuilt workflow bundle .*: the workflow sources \(or the packages they use\) changed since it was built; bundling at start/);
    });
  });
});
