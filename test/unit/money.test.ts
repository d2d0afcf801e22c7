import assert from 'node:assert/strict';
import { addMoney, fromDecimal, money, toDecimal } from '../../src/domain/money';

describe('money', () => {
  it('converts decimal strings to minor units without float drift', () => {
    assert.deepEqual(fromDecimal('0.29', 'USD'), money(29, 'USD'));
    assert.deepEqual(fromDecimal('1234.5', 'EUR'), money(123450, 'EUR'));
    assert.equal(toDecimal(money(-1205, 'USD')), '-12.05');
  });
  it('refuses to add different currencies', () => {
    assert.throws(() => addMoney(money(1, 'USD'), money(1, 'EUR')), /currency mismatch/);
  });
});
