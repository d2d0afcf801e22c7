import assert from 'node:assert/strict';
import { pricingFeedWorkflowId } from '../../src/workflows/pricing-feed';
import { eventually } from '../workflows/case-resolution-world';
import { testEnvTimeoutMs } from '../helpers/temporal';
import { cliFixture, isOneLineError, jsonOf, runCli, type CliFixture } from './cli-harness';

/** `retailctl pricing` as an operator runs it: one feed however often it is started, its state, and clear errors. */
describe('retailctl pricing', function () {
  this.timeout(90_000);
  let fx: CliFixture;

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    fx = await cliFixture('cli-pricing');
  });
  after(async () => {
    await fx?.env.client.workflow.getHandle(pricingFeedWorkflowId).terminate('test over').catch(() => undefined);
    await fx?.close();
  });

  it('refuses a bad PRICING_* variable with exit 2 and an unknown promotion with exit 3, one line each', async () => {
    const bad = await runCli(['pricing', 'start'], { ...fx.cliEnv, PRICING_RECHECK_MAX_MS: 'soon' });
    assert.equal(bad.code, 2, bad.stderr);
    assert.ok(isOneLineError(bad), bad.stderr);
    assert.match(bad.stderr, /PRICING_RECHECK_MAX_MS/);
    const unknown = await fx.cli('pricing', 'promotion', 'NOPE');
    assert.equal(unknown.code, 3, unknown.stderr);
    assert.ok(isOneLineError(unknown), unknown.stderr);
  });

  it('starts the feed once, joins it after, and shows it catching up with the ERP', async () => {
    const first = jsonOf<{ workflowId: string; existing: boolean }>(await fx.cli('--json', 'pricing', 'start'));
    assert.deepEqual([first.workflowId, first.existing], [pricingFeedWorkflowId, false]);
    assert.equal(jsonOf<{ existing: boolean }>(await fx.cli('--json', 'pricing', 'start')).existing, true);
    const status = await eventually(async () => {
      const s = jsonOf<{ watermark: number; counts: { written: number } }>(await fx.cli('--json', 'pricing', 'status'));
      return s.counts.written >= fx.sandbox.world().products.length ? s : undefined;
    }, 60_000, 'the initial load');
    assert.ok(status.watermark >= fx.sandbox.world().products.length);
  });
});
