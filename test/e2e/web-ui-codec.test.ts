import assert from 'node:assert/strict';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { resolveTemporalBinary } from '../../scripts/temporal-cli';
import { dynamicConfigArgs } from '../../temporal-config/dev-server';
import { searchAttributes } from '../../temporal-config/search-attributes';
import { createLogger } from '../../src/observability/logger';
import { buildCodecServer } from '../../src/starters/codec/app';
import { EncryptionCodec } from '../../src/temporal/payload-codec';
import { testCodecKeys, testDataConverter } from '../helpers/codec';
import { freePort } from '../helpers/sandbox';
import { testEnvTimeoutMs, uniqueName } from '../helpers/temporal';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The Web UI as an operator sees it: a dev server with its UI pointed at the product's codec server,
 * headless Chromium (Debian's package, driven by playwright-core) on a refund's page. With the codec
 * server up the sealed input reads as JSON; with it gone the same page shows no readable input.
 */
describe('Web UI reads sealed payloads through the codec server', function () {
  this.timeout(180_000);
  let env: TestWorkflowEnvironment;
  let codec: FastifyInstance;
  let browser: Browser;
  let uiUrl: string;

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    const [uiPort, codecPort] = [await freePort(), await freePort()];
    uiUrl = `http://127.0.0.1:${uiPort}`;
    codec = await buildCodecServer({
      codec: new EncryptionCodec(testCodecKeys),
      namespace: 'default',
      origins: [uiUrl],
      keys: [],
      trustOriginsWithoutCredential: true,
      logger: createLogger({ level: 'error' }),
    });
    await codec.listen({ host: '127.0.0.1', port: codecPort });
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: await resolveTemporalBinary() },
        ip: '127.0.0.1',
        ui: true,
        uiPort,
        searchAttributes,
        extraArgs: [...dynamicConfigArgs(), '--ui-codec-endpoint', `http://127.0.0.1:${codecPort}`, '--log-level', 'error'],
      },
      client: { dataConverter: testDataConverter },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    await browser?.close();
    await env?.teardown();
    await codec?.close();
  });

  /** The page's text once `ready` accepts it (the UI renders the input after the codec answers), or after the timeout. */
  async function pageText(workflowId: string, ready: (text: string) => boolean, timeoutMs = 60_000): Promise<string> {
    const page = await browser.newPage();
    try {
      await page.goto(`${uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`, { waitUntil: 'domcontentloaded' });
      const deadline = Date.now() + timeoutMs;
      let text = '';
      while (Date.now() < deadline) {
        text = await page.innerText('body').catch(() => '');
        if (ready(text)) break;
        await page.waitForTimeout(500);
      }
      return text;
    } finally {
      await page.close();
    }
  }

  it("shows a refund's input decrypted with the codec server, and unreadable without it", async () => {
    const caseNumber = `0009${Date.now().toString().slice(-4)}`;
    const marker = `Screen reader case ${uniqueName('ui')}`;
    const workflowId = `refund/${caseNumber}`;
    // No worker is needed: the page shows the input the execution was started with.
    await env.client.workflow.start('refund', { taskQueue: uniqueName('ui-only'), workflowId, args: [{ caseNumber, reason: 'damaged', note: marker }] });

    const raw = JSON.stringify(await env.client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId } }));
    assert.ok(!raw.includes(marker), 'the stored history does not hold the note in clear text');

    const decoded = await pageText(workflowId, (text) => text.includes(marker));
    assert.ok(decoded.includes(marker), 'the Web UI shows the decrypted input');
    assert.ok(decoded.includes(caseNumber));

    await codec.close();
    // The page has rendered the execution (its type shows) and had time to try the codec.
    const sealed = await pageText(workflowId, (text) => text.includes(marker), 15_000);
    assert.ok(sealed.includes('Workflow Type'), 'the page rendered');
    assert.ok(!sealed.includes(marker), 'without the codec server the input is not readable');
    await env.client.workflow.getHandle(workflowId).terminate('test done');
  });
});
