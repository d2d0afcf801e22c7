import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPolicyActivities } from '../../src/activities/policy';
import { loadResolutionPolicy, PolicyConfigError } from '../../src/config/policy';
import { defaultResolutionPolicy } from '../../src/domain/policy';

describe('resolution policy source', () => {
  it('is the defaults when nothing is configured', () => {
    assert.deepEqual(loadResolutionPolicy({}), { base: defaultResolutionPolicy, overrides: [] });
  });

  it('reads inline JSON over the defaults', () => {
    const { base } = loadResolutionPolicy({ RESOLUTION_POLICY: '{"refundWindowDays": 45, "approvalThreshold": {"default": 1000}}' });
    assert.equal(base.refundWindowDays, 45);
    assert.deepEqual(base.approvalThreshold, { default: 1000 });
    assert.equal(base.agentChoiceTimeout, defaultResolutionPolicy.agentChoiceTimeout);
  });

  it('reads a file, with the most specific override for the customer', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'policy-')), 'policy.json');
    writeFileSync(
      file,
      JSON.stringify({
        refundWindowDays: 40,
        overrides: [
          { segment: 'loyalty-gold', policy: { refundWindowDays: 90 } },
          { segment: 'loyalty-gold', region: 'UK', policy: { refundWindowDays: 120 } },
          { region: 'UK', policy: { agentChoiceTimeout: '4 hours' } },
        ],
      }),
    );
    const { getResolutionPolicy } = createPolicyActivities(loadResolutionPolicy({ RESOLUTION_POLICY_FILE: file }));
    assert.equal((await getResolutionPolicy({ segment: 'standard', region: 'NA-EAST' })).refundWindowDays, 40);
    assert.equal((await getResolutionPolicy({ segment: 'loyalty-gold', region: 'NA-EAST' })).refundWindowDays, 90);
    assert.equal((await getResolutionPolicy({ segment: 'loyalty-gold', region: 'UK' })).refundWindowDays, 120);
    const uk = await getResolutionPolicy({ region: 'UK' });
    assert.deepEqual([uk.refundWindowDays, uk.agentChoiceTimeout], [40, '4 hours'], 'an override starts from the configured base');
  });

  it('refuses a bad policy at start-up, naming the field', () => {
    const bad = (env: Record<string, string>) => {
      try {
        loadResolutionPolicy(env);
      } catch (err) {
        assert.ok(err instanceof PolicyConfigError);
        return err.fields;
      }
      assert.fail('expected a PolicyConfigError');
    };
    assert.deepEqual(bad({ RESOLUTION_POLICY: '{"approvalTimeout": "tomorrow"}' }), ['approvalTimeout']);
    assert.deepEqual(bad({ RESOLUTION_POLICY: '{"refundWindowDay": 3}' }), ['refundWindowDay']);
    assert.deepEqual(bad({ RESOLUTION_POLICY: '{"overrides": [{"segment": "employee", "policy": {"alertAfterAttempts": 0}}]}' }), ['overrides.0.policy.alertAfterAttempts']);
    assert.deepEqual(bad({ RESOLUTION_POLICY: 'not json' }), []);
    assert.deepEqual(bad({ RESOLUTION_POLICY_FILE: '/nonexistent/policy.json' }), []);
  });
});
