import assert from 'node:assert/strict';
import { configFromEnv } from '../../src/config';
import { intakeConfigFromEnv } from '../../src/config/intake';
import { fromBitmaps } from '../../src/connectors/salesforce-pubsub';
import type { Case } from '../../src/domain/case';
import { caseMatches, touchesRule } from '../../src/starters/intake/rule';

describe('intake configuration and case rule', () => {
  it('defaults to both topics, batches of 25 and new retail cases', () => {
    const config = intakeConfigFromEnv({});
    assert.equal(config.enabled, true);
    assert.deepEqual(config.topics, ['/data/CaseChangeEvent', '/event/Resolution_Requested__e']);
    assert.equal(config.batchSize, 25);
    assert.deepEqual(config.rule.status, ['New']);
    assert.equal(intakeConfigFromEnv({ INTAKE_ENABLED: 'false' }).enabled, false);
  });

  it('refuses unknown topics, batch sizes Salesforce refuses and rules that are not JSON or name nothing', () => {
    assert.throws(() => intakeConfigFromEnv({ INTAKE_TOPICS: '/data/OpportunityChangeEvent' }), /intake\.topics/);
    assert.deepEqual(intakeConfigFromEnv({ INTAKE_TOPICS: '/data/AccountChangeEvent' }).topics, ['/data/AccountChangeEvent']);
    assert.throws(() => intakeConfigFromEnv({ INTAKE_BATCH_SIZE: '101' }), /intake\.batchSize/);
    assert.throws(() => intakeConfigFromEnv({ INTAKE_CASE_RULE: '{status:' }), /not JSON/);
    assert.throws(() => intakeConfigFromEnv({ INTAKE_CASE_RULE: '{}' }), /at least one/);
    assert.throws(() => intakeConfigFromEnv({ INTAKE_CASE_RULE: '{"reason":["Damaged Item"]}' }), /intake\.rule\.reason/);
  });

  it('turns TLS on for the Pub/Sub API unless the endpoint is loopback', () => {
    assert.equal(configFromEnv({}).pubsub.tls, false);
    assert.equal(configFromEnv({ PUBSUB_ENDPOINT: 'api.pubsub.salesforce.com:7443' }).pubsub.tls, true);
    assert.equal(configFromEnv({ PUBSUB_ENDPOINT: 'localhost:7443', PUBSUB_TLS: 'true' }).pubsub.tls, true);
    assert.throws(() => configFromEnv({ PUBSUB_ENDPOINT: 'https://api.pubsub.salesforce.com' }), /pubsub\.endpoint/);
  });

  it('matches a Case when every named field has one of its values, and reads it only for changes the rule looks at', () => {
    const rule = intakeConfigFromEnv({ INTAKE_CASE_RULE: '{"status":["New"],"reason":["damaged-item"]}' }).rule;
    const kase: Case = { caseId: '500000000000001AAA', caseNumber: '00010001', status: 'New', reason: 'damaged-item' };
    assert.equal(caseMatches(rule, kase), true);
    assert.equal(caseMatches(rule, { ...kase, status: 'Working' }), false);
    assert.equal(caseMatches(rule, { ...kase, reason: undefined }), false);
    assert.equal(touchesRule(rule, ['Subject', 'LastModifiedDate']), false);
    assert.equal(touchesRule(rule, ['Reason', 'LastModifiedDate']), true);
  });

  it('reads Salesforce field bitmaps (bit i = the schema field i)', () => {
    const fields = ['ChangeEventHeader', 'OwnerId', 'CaseNumber', 'Status', 'Reason'];
    assert.deepEqual(fromBitmaps(fields, ['0x18']), ['Status', 'Reason']);
    assert.deepEqual(fromBitmaps(fields, []), []);
  });
});
