import assert from 'node:assert/strict';
import { customerMasterConfigFromEnv } from '../../src/config/customer-master';
import { DEFAULT_FIELD_OWNERSHIP, type CustomerChange } from '../../src/domain/customer-master';
import { CustomerFold } from '../../src/workflows/customer-sync/customer-state';

const now = () => '2026-11-30T10:00:00.000Z';
const baseValues = { name: 'Ada Lovelace', email: 'ada@example.com', phone: '+1-555-100-0001', marketingConsent: true, segment: 'standard' as const, creditLimit: 100_000, paymentTerms: 'NET30' as const, billingAddress: { street: '1 Main St', city: 'Boston', postalCode: '02110', country: 'US' } };
const sf = (eventId: string, version: number, values: CustomerChange['values']): CustomerChange => ({ eventId, source: 'salesforce', customerId: 'C-1', version, occurredAt: now(), values });
const erp = (version: number, values: CustomerChange['values']): CustomerChange => ({ eventId: `erp:C-1:${version}`, source: 'erp', customerId: 'C-1', version, occurredAt: now(), values: { ...baseValues, ...values } });

function fold() {
  const f = new CustomerFold('C-1', undefined, DEFAULT_FIELD_OWNERSHIP, now);
  f.baseline({ values: baseValues, version: 3 }, { values: baseValues, accountId: '001000000000001AAA', contactId: '003000000000001AAA' });
  return f;
}

describe('customer master: ownership configuration and the field fold', () => {
  it('takes ownership overrides over the shipped table and refuses unknown fields, systems and bad JSON in one line', () => {
    assert.equal(customerMasterConfigFromEnv({}).ownership.creditLimit, 'erp');
    assert.equal(customerMasterConfigFromEnv({}).enabled, false);
    const moved = customerMasterConfigFromEnv({ CUSTOMER_FIELD_OWNERSHIP: '{"segment":"salesforce"}', CUSTOMER_SYNC: 'on' });
    assert.equal(moved.ownership.segment, 'salesforce');
    assert.equal(moved.ownership.email, 'salesforce');
    assert.equal(moved.enabled, true);
    assert.throws(() => customerMasterConfigFromEnv({ CUSTOMER_FIELD_OWNERSHIP: '{"shoeSize":"erp"}' }), /invalid configuration: customerMaster\.ownership/);
    assert.throws(() => customerMasterConfigFromEnv({ CUSTOMER_FIELD_OWNERSHIP: '{"email":"warehouse"}' }), /customerMaster\.ownership\.email/);
    assert.throws(() => customerMasterConfigFromEnv({ CUSTOMER_FIELD_OWNERSHIP: '{email' }), /not JSON/);
    assert.throws(() => customerMasterConfigFromEnv({ CUSTOMER_POLL_INTERVAL: 'often' }), /customerMaster\.pollInterval/);
  });

  it("writes the owner's change to the other system and drops repeats, stale versions and invalid changes", () => {
    const f = fold();
    f.receive(sf('a', 10, { email: 'new@example.com' }));
    assert.deepEqual(f.pendingWrites('erp'), { email: 'new@example.com' });
    assert.deepEqual(f.pendingWrites('salesforce'), {});
    f.receive(sf('a', 10, { email: 'new@example.com' }));
    f.receive(sf('b', 9, { email: 'old@example.com' }));
    f.receive({ eventId: 'bad', source: 'salesforce', customerId: 'C-1', version: -1 });
    assert.deepEqual({ dup: f.state.events.duplicates, stale: f.state.events.outOfOrder, invalid: f.state.events.invalid }, { dup: 1, stale: 1, invalid: 1 });
    assert.deepEqual(f.pendingWrites('erp'), { email: 'new@example.com' });
    f.wroteErp({ email: 'new@example.com' }, 4);
    assert.deepEqual(f.pendingWrites('erp'), {});
    // The poll seeing the version our write produced: an echo.
    f.receive(erp(4, { email: 'new@example.com' }));
    assert.equal(f.state.events.echoes, 1);
  });

  it('turns a change by the non-owning system into one open conflict, writes neither side, and settles when they agree again', () => {
    const f = fold();
    f.receive(sf('c', 11, { creditLimit: 999_900 }));
    assert.equal(f.state.conflicts.length, 1);
    assert.equal(f.state.conflicts[0].changedBy, 'salesforce');
    assert.deepEqual(f.pendingWrites('salesforce'), {}, 'the ERP value is not pushed over the steward evidence');
    assert.deepEqual(f.pendingWrites('erp'), {}, 'the ERP is not overwritten');
    f.receive(sf('d', 12, { creditLimit: 999_800 }));
    assert.equal(f.state.conflicts.length, 1, 'one conflict while it is open');
    f.receive(sf('e', 13, { creditLimit: 100_000 }));
    assert.ok(f.state.conflicts[0].resolvedAt, 'settled once Salesforce holds the owner value again');
  });

  it('keeps open conflicts and only the latest resolved ones, each under a key never used before', () => {
    const f = fold();
    let version = 100;
    // A steward who keeps settling the same field: 30 conflicts raised and resolved, then one left open.
    for (let i = 0; i < 30; i++) {
      f.receive(sf(`raise-${i}`, version++, { creditLimit: 500_000 + i }));
      f.receive(sf(`settle-${i}`, version++, { creditLimit: 100_000 }));
    }
    f.receive(sf('open', version++, { creditLimit: 777_700 }));
    const { conflicts } = f.state;
    assert.equal(conflicts.length, 21, 'twenty resolved and the open one');
    assert.equal(new Set(conflicts.map((c) => c.key)).size, conflicts.length);
    assert.equal(conflicts.filter((c) => !c.resolvedAt).length, 1);
    const open = conflicts.find((c) => !c.resolvedAt)!;
    assert.equal(open.key, 'customer-conflict.C-1.creditLimit.31');
    assert.equal(open.otherValue, 777_700);
    // Settling it marks this conflict, not whichever sits at its old position.
    f.receive(sf('settle-open', version++, { creditLimit: 100_000 }));
    assert.ok(f.state.conflicts.find((c) => c.key === open.key)?.resolvedAt);
    assert.equal(f.state.conflicts.length, 20);
  });

  it('takes a Salesforce change event for its own write as an echo, even when it arrives after a newer write', () => {
    const f = fold();
    f.receive(erp(4, { paymentTerms: 'NET60' }));
    f.wroteSalesforce(f.pendingWrites('salesforce'));
    f.receive(erp(5, { paymentTerms: 'PREPAID' }));
    f.wroteSalesforce(f.pendingWrites('salesforce'));
    f.receive(sf('echo-1', 20, { paymentTerms: 'NET60' }));
    f.receive(sf('echo-2', 21, { paymentTerms: 'PREPAID' }));
    assert.equal(f.state.events.echoes, 2);
    assert.deepEqual(f.state.conflicts, []);
  });
});
