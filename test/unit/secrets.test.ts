import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromEnv, describeConfig, secretValues } from '../../src/config';
import { parseTrustProxy } from '../../src/config/api';
import { readSecretFile } from '../../src/config/secret-file';
import { redact, redactText, rememberSecrets } from '../../src/observability/redact';
import { ensureDevelopmentKey } from '../../src/starters/http/dev-key';
import { ensureWebhookSecret } from '../../src/starters/http/events/webhook-secret';

describe('secrets: redaction and secret files', () => {
  it('masks secret fields at any depth, credentials in URLs and query strings, bearer tokens and remembered values', () => {
    rememberSecrets(['s3cr3t-value-123456', 'short']);
    const out = redact({
      upstream: { auth: { clientSecret: 'abc', nested: [{ apiKey: 'k-1' }] } },
      url: 'https://svc:hunter2@erp.example/api?api_key=AKIA123&page=2&token=tkn',
      header: 'Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig',
      message: 'upstream said: invalid key s3cr3t-value-123456 for user',
      short: 'short stays',
      enabled: true,
    }) as Record<string, unknown>;
    assert.deepEqual(out.upstream, { auth: { clientSecret: '***', nested: [{ apiKey: '***' }] } });
    assert.equal(out.url, 'https://svc:***@erp.example/api?api_key=***&page=2&token=***');
    assert.equal(out.header, 'Bearer ***');
    assert.equal(out.message, 'upstream said: invalid key *** for user');
    assert.equal(out.short, 'short stays', 'values under 8 characters are not remembered');
    assert.equal(redactText('postgres://app:pw@db:5432/x'), 'postgres://app:***@db:5432/x');
  });

  it('the start-up banner masks every configured secret, nested ones included', () => {
    const config = configFromEnv({ SALESFORCE_CLIENT_SECRET: 'sf-secret-0123456789', ERP_LEGACY_PASSWORD: 'legacy-pw-0123456789', PAYMENTS_API_KEY: 'sk_test_0123456789' });
    const text = JSON.stringify(describeConfig(config));
    for (const secret of ['sf-secret-0123456789', 'legacy-pw-0123456789', 'sk_test_0123456789']) assert.ok(!text.includes(secret), secret);
    assert.ok(secretValues(config).includes('sk_test_0123456789'));
  });

  it('refuses a reused key or secret file that others can read or that is too short; made ones are 0600', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-'));
    try {
      const made = ensureDevelopmentKey(dir);
      assert.equal(made.created, true);
      assert.equal(ensureDevelopmentKey(dir).key, made.key, 'reused');
      chmodSync(made.path, 0o644);
      assert.throws(() => ensureDevelopmentKey(dir), /readable by others \(mode 0644\).*chmod 600/);
      chmodSync(made.path, 0o600);
      writeFileSync(made.path, 'rk_short\n', { mode: 0o600 });
      assert.throws(() => ensureDevelopmentKey(dir), /shorter than 32 characters/);

      const secret = ensureWebhookSecret(dir);
      assert.equal(ensureWebhookSecret(dir), secret);
      const path = join(dir, 'events', 'webhook-secret');
      chmodSync(path, 0o640);
      assert.throws(() => readSecretFile(path, 'the webhook secret', 32), /readable by others/);
      assert.equal(readSecretFile(join(dir, 'absent'), 'x', 32), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('API_TRUST_PROXY: off by default, a hop count or an address list; "true" is refused', () => {
    assert.equal(parseTrustProxy(undefined), false);
    assert.equal(parseTrustProxy('false'), false);
    assert.equal(parseTrustProxy('2'), 2);
    assert.deepEqual(parseTrustProxy('10.0.0.0/8, 127.0.0.1'), ['10.0.0.0/8', '127.0.0.1']);
    assert.throws(() => parseTrustProxy('true'), /hop count/);
  });
});
