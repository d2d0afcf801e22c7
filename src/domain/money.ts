import { z } from 'zod';

/** ISO 4217 code, upper case. */
export const CurrencySchema = z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 currency code');
export type Currency = z.infer<typeof CurrencySchema>;

/** Money as integer minor units (cents) with its currency: no floating point ever touches an amount. */
export const MoneySchema = z.object({
  amount: z.number().int(),
  currency: CurrencySchema,
});
export type Money = z.infer<typeof MoneySchema>;

export function money(amount: number, currency: Currency): Money {
  if (!Number.isInteger(amount)) throw new RangeError(`amount must be integer minor units, got ${amount}`);
  return { amount, currency };
}

function sameCurrency(a: Money, b: Money): void {
  if (a.currency !== b.currency) throw new RangeError(`currency mismatch: ${a.currency} vs ${b.currency}`);
}

export function addMoney(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return { amount: a.amount + b.amount, currency: a.currency };
}

export function subtractMoney(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return { amount: a.amount - b.amount, currency: a.currency };
}

export function sumMoney(items: Money[], currency: Currency): Money {
  return items.reduce((total, m) => addMoney(total, m), money(0, currency));
}

export function multiplyMoney(m: Money, quantity: number): Money {
  if (!Number.isInteger(quantity)) throw new RangeError(`quantity must be an integer, got ${quantity}`);
  return { amount: m.amount * quantity, currency: m.currency };
}

/** Decimal major units (as legacy systems send them, e.g. "12.34") to minor units, without float drift. */
export function fromDecimal(value: string | number, currency: Currency): Money {
  const text = typeof value === 'number' ? value.toFixed(2) : value.trim();
  const match = /^(-)?(\d+)(?:\.(\d{1,2}))?$/.exec(text);
  if (!match) throw new RangeError(`not a decimal amount: ${value}`);
  const [, sign, whole, frac = ''] = match;
  const minor = Number(whole) * 100 + Number(frac.padEnd(2, '0'));
  return { amount: sign ? -minor : minor, currency };
}

export function toDecimal(m: Money): string {
  const sign = m.amount < 0 ? '-' : '';
  const abs = Math.abs(m.amount);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

export function formatMoney(m: Money): string {
  return `${toDecimal(m)} ${m.currency}`;
}
