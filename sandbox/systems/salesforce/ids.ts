/**
 * Salesforce record ids: a 3-character key prefix naming the object, 12 characters of record
 * number, and a 3-character suffix that makes the 18-character form case-insensitive.
 */
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SUFFIX = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
/** Instance/pod characters every id of this org carries, as real ids do after the prefix. */
const POD = '5g0';

export function idSuffix(id15: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15[chunk * 5 + i];
      if (c >= 'A' && c <= 'Z') bits |= 1 << i;
    }
    suffix += SUFFIX[bits];
  }
  return suffix;
}

export function toBase62(n: number, width: number): string {
  let out = '';
  let v = Math.floor(n);
  do {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  } while (v > 0);
  return out.padStart(width, '0');
}

export function makeId(prefix: string, seq: number): string {
  const id15 = `${prefix}${POD}${toBase62(seq, 9)}`;
  return id15 + idSuffix(id15);
}

/** A 15- or 18-character id in its 18-character form, or undefined when it is not an id at all. */
export function normalizeId(value: string): string | undefined {
  if (/^[a-zA-Z0-9]{18}$/.test(value)) return idSuffix(value.slice(0, 15)) === value.slice(15).toUpperCase() ? value.slice(0, 15) + idSuffix(value.slice(0, 15)) : undefined;
  if (/^[a-zA-Z0-9]{15}$/.test(value)) return value + idSuffix(value);
  return undefined;
}

export const ORG_ID = makeId('00D', 1);
export const INTEGRATION_USER_ID = makeId('005', 1);
