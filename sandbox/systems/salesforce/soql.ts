import { SfError } from './errors';
import { normalizeId } from './ids';
import { findField, findObject, findRelationship, type FieldDef, type ObjectDef } from './schema';
import type { FieldValue, SfRecord } from './state';

/**
 * The SOQL subset the orchestrator and its tests use, parsed and evaluated for real:
 * SELECT fields | COUNT() FROM object [WHERE ...] [ORDER BY ...] [LIMIT n] [OFFSET n], with
 * =, !=, <>, <, <=, >, >=, LIKE, IN, NOT IN, AND, OR, NOT, parentheses, string/number/boolean/
 * null/date/datetime literals, TODAY/YESTERDAY/TOMORROW, and one level of parent relationships.
 */
type Literal =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }
  | { kind: 'date'; value: string }
  | { kind: 'datetime'; value: string };

type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'like';
export type Condition =
  | { op: 'and' | 'or'; items: Condition[] }
  | { op: 'not'; item: Condition }
  | { op: 'cmp'; field: string; cmp: CompareOp; value: Literal }
  | { op: 'in'; field: string; negate: boolean; values: Literal[] };

export interface SoqlQuery {
  count: boolean;
  fields: string[];
  object: string;
  where?: Condition;
  orderBy: { field: string; desc: boolean; nullsLast: boolean }[];
  limit?: number;
  offset?: number;
}

type Token = { type: 'word' | 'string' | 'number' | 'date' | 'datetime' | 'punct'; text: string; pos: number };

const malformed = (message: string) => new SfError(400, 'MALFORMED_QUERY', message);

function tokenize(soql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < soql.length) {
    const c = soql[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = soql.slice(i);
    if (c === "'") {
      let value = '';
      let j = i + 1;
      for (; j < soql.length && soql[j] !== "'"; j++) {
        if (soql[j] === '\\') {
          const next = soql[++j];
          value += next === 'n' ? '\n' : next === 't' ? '\t' : next;
        } else value += soql[j];
      }
      if (j >= soql.length) throw malformed(`unterminated string literal at column ${i + 1}`);
      tokens.push({ type: 'string', text: value, pos: i });
      i = j + 1;
      continue;
    }
    const dt = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})/.exec(rest);
    if (dt) {
      tokens.push({ type: 'datetime', text: dt[0], pos: i });
      i += dt[0].length;
      continue;
    }
    const d = /^\d{4}-\d{2}-\d{2}(?![\d:])/.exec(rest);
    if (d) {
      tokens.push({ type: 'date', text: d[0], pos: i });
      i += d[0].length;
      continue;
    }
    const n = /^-?\d+(\.\d+)?(?![A-Za-z_])/.exec(rest);
    if (n) {
      tokens.push({ type: 'number', text: n[0], pos: i });
      i += n[0].length;
      continue;
    }
    const w = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(rest);
    if (w) {
      tokens.push({ type: 'word', text: w[0], pos: i });
      i += w[0].length;
      continue;
    }
    const p = /^(<=|>=|!=|<>|[=<>(),:])/.exec(rest);
    if (p) {
      tokens.push({ type: 'punct', text: p[0] === '<>' ? '!=' : p[0], pos: i });
      i += p[0].length;
      continue;
    }
    throw malformed(`unexpected token: '${c}'`);
  }
  return tokens;
}

const KEYWORDS = new Set(['select', 'from', 'where', 'and', 'or', 'not', 'in', 'like', 'order', 'by', 'asc', 'desc', 'nulls', 'first', 'last', 'limit', 'offset', 'null', 'true', 'false']);

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }
  private isWord(word: string, t = this.peek()): boolean {
    return !!t && t.type === 'word' && t.text.toLowerCase() === word;
  }
  private next(): Token {
    const t = this.tokens[this.i++];
    if (!t) throw malformed('unexpected end of query');
    return t;
  }
  private expectWord(word: string): void {
    const t = this.next();
    if (!this.isWord(word, t)) throw malformed(`unexpected token: '${t.text}', expected ${word.toUpperCase()}`);
  }
  private expectPunct(p: string): void {
    const t = this.next();
    if (t.type !== 'punct' || t.text !== p) throw malformed(`unexpected token: '${t.text}', expected '${p}'`);
  }
  private identifier(): string {
    const t = this.next();
    if (t.type !== 'word' || KEYWORDS.has(t.text.toLowerCase())) throw malformed(`unexpected token: '${t.text}'`);
    return t.text;
  }

  parse(): SoqlQuery {
    this.expectWord('select');
    const query: SoqlQuery = { count: false, fields: [], object: '', orderBy: [] };
    if (this.isWord('count') && this.tokens[this.i + 1]?.text === '(') {
      this.i++;
      this.expectPunct('(');
      this.expectPunct(')');
      query.count = true;
    } else {
      query.fields.push(this.identifier());
      while (this.peek()?.text === ',') {
        this.i++;
        query.fields.push(this.identifier());
      }
    }
    this.expectWord('from');
    // Object names may be keywords (FROM Order), so any word is taken here.
    const object = this.next();
    if (object.type !== 'word') throw malformed(`unexpected token: '${object.text}'`);
    query.object = object.text;
    if (this.isWord('where')) {
      this.i++;
      query.where = this.orExpr();
    }
    if (this.isWord('order')) {
      this.i++;
      this.expectWord('by');
      do {
        if (this.peek()?.text === ',') this.i++;
        const field = this.identifier();
        let desc = false;
        if (this.isWord('asc')) this.i++;
        else if (this.isWord('desc')) {
          this.i++;
          desc = true;
        }
        let nullsLast = desc;
        if (this.isWord('nulls')) {
          this.i++;
          const t = this.next();
          if (!this.isWord('first', t) && !this.isWord('last', t)) throw malformed(`unexpected token: '${t.text}'`);
          nullsLast = this.isWord('last', t);
        }
        query.orderBy.push({ field, desc, nullsLast });
      } while (this.peek()?.text === ',');
    }
    if (this.isWord('limit')) {
      this.i++;
      query.limit = this.integer();
    }
    if (this.isWord('offset')) {
      this.i++;
      query.offset = this.integer();
      if (query.offset > 2000) throw new SfError(400, 'NUMBER_OUTSIDE_VALID_RANGE', `Maximum SOQL offset allowed is 2000`);
    }
    const extra = this.peek();
    if (extra) throw malformed(`unexpected token: '${extra.text}'`);
    return query;
  }

  private integer(): number {
    const t = this.next();
    if (t.type !== 'number' || !/^\d+$/.test(t.text)) throw malformed(`unexpected token: '${t.text}', expected a non-negative integer`);
    return Number(t.text);
  }

  private orExpr(): Condition {
    const items = [this.andExpr()];
    while (this.isWord('or')) {
      this.i++;
      items.push(this.andExpr());
    }
    return items.length === 1 ? items[0] : { op: 'or', items };
  }

  private andExpr(): Condition {
    const items = [this.unary()];
    while (this.isWord('and')) {
      this.i++;
      items.push(this.unary());
    }
    return items.length === 1 ? items[0] : { op: 'and', items };
  }

  private unary(): Condition {
    if (this.isWord('not')) {
      this.i++;
      return { op: 'not', item: this.unary() };
    }
    if (this.peek()?.text === '(') {
      this.i++;
      const inner = this.orExpr();
      this.expectPunct(')');
      return inner;
    }
    const field = this.identifier();
    const t = this.next();
    if (this.isWord('in', t) || (this.isWord('not', t) && this.isWord('in'))) {
      const negate = this.isWord('not', t);
      if (negate) this.i++;
      this.expectPunct('(');
      const values = [this.literal()];
      while (this.peek()?.text === ',') {
        this.i++;
        values.push(this.literal());
      }
      this.expectPunct(')');
      return { op: 'in', field, negate, values };
    }
    if (this.isWord('like', t)) return { op: 'cmp', field, cmp: 'like', value: this.literal() };
    if (t.type === 'punct' && ['=', '!=', '<', '<=', '>', '>='].includes(t.text)) return { op: 'cmp', field, cmp: t.text as CompareOp, value: this.literal() };
    throw malformed(`unexpected token: '${t.text}'`);
  }

  private literal(): Literal {
    const t = this.next();
    switch (t.type) {
      case 'string':
        return { kind: 'string', value: t.text };
      case 'number':
        return { kind: 'number', value: Number(t.text) };
      case 'date':
        return { kind: 'date', value: t.text };
      case 'datetime':
        return { kind: 'datetime', value: new Date(t.text).toISOString() };
      case 'word': {
        const w = t.text.toLowerCase();
        if (w === 'null') return { kind: 'null' };
        if (w === 'true' || w === 'false') return { kind: 'boolean', value: w === 'true' };
        const days = { today: 0, yesterday: -1, tomorrow: 1 }[w];
        if (days !== undefined) return { kind: 'date', value: new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10) };
        throw malformed(`unexpected token: '${t.text}'`);
      }
      default:
        throw malformed(`unexpected token: '${t.text}'`);
    }
  }
}

export function parseSoql(soql: string): SoqlQuery {
  return new Parser(tokenize(soql)).parse();
}

/** A field reference resolved against the schema: a direct field, or one hop through a parent relationship. */
interface ResolvedField {
  name: string;
  field: FieldDef;
  via?: { reference: FieldDef; relationshipName: string; target: ObjectDef };
}

export interface QueryData {
  table: (object: ObjectDef) => Record<string, SfRecord>;
}

const STRINGISH = new Set(['string', 'textarea', 'picklist', 'email', 'phone']);
const NUMERIC = new Set(['double', 'currency', 'int']);

export class SoqlEngine {
  constructor(private readonly data: QueryData) {}

  resolveObject(name: string): ObjectDef {
    const object = findObject(name);
    if (!object) throw new SfError(400, 'INVALID_TYPE', `sObject type '${name}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`);
    return object;
  }

  resolveField(object: ObjectDef, name: string): ResolvedField {
    const noSuchColumn = () =>
      new SfError(400, 'INVALID_FIELD', `No such column '${name}' on entity '${object.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`);
    const parts = name.split('.');
    if (parts.length === 1) {
      const field = findField(object, name);
      if (!field) throw noSuchColumn();
      return { name: field.name, field };
    }
    if (parts.length !== 2) throw noSuchColumn();
    const reference = findRelationship(object, parts[0]);
    const target = reference?.referenceTo ? findObject(reference.referenceTo) : undefined;
    const field = target ? findField(target, parts[1]) : undefined;
    if (!reference || !target || !field) throw noSuchColumn();
    return { name: `${reference.relationshipName}.${field.name}`, field, via: { reference, relationshipName: reference.relationshipName!, target } };
  }

  /** Matching record ids in result order, plus the resolved select list. */
  run(query: SoqlQuery): { object: ObjectDef; select: string[]; ids: string[]; count: number } {
    const object = this.resolveObject(query.object);
    const select = [...new Set(query.fields.map((f) => this.resolveField(object, f).name))];
    const predicate = query.where ? this.compile(object, query.where) : () => true;
    let rows = Object.values(this.data.table(object)).filter(predicate);
    if (query.orderBy.length) {
      const keys = query.orderBy.map((o) => ({ ...o, ref: this.resolveField(object, o.field) }));
      rows = [...rows].sort((a, b) => {
        for (const k of keys) {
          const va = this.value(a, k.ref);
          const vb = this.value(b, k.ref);
          // Null placement is its own setting, not flipped by DESC.
          if (va === null || vb === null) {
            if (va === vb) continue;
            return (va === null) === k.nullsLast ? 1 : -1;
          }
          const c = compareValues(va, vb);
          if (c !== 0) return k.desc ? -c : c;
        }
        return 0;
      });
    }
    const offset = query.offset ?? 0;
    const sliced = rows.slice(offset, query.limit !== undefined ? offset + query.limit : undefined);
    return { object, select, ids: sliced.map((r) => r.Id as string), count: query.count ? sliced.length : rows.length };
  }

  /** The record as the REST API returns it: attributes, then the selected fields (parents nested). */
  shape(object: ObjectDef, record: SfRecord, select: string[], baseUrl: string): Record<string, unknown> {
    const out: Record<string, unknown> = { attributes: { type: object.name, url: `${baseUrl}/sobjects/${object.name}/${String(record.Id)}` } };
    for (const name of select) {
      const ref = this.resolveField(object, name);
      if (!ref.via) {
        out[ref.field.name] = record[ref.field.name] ?? null;
        continue;
      }
      const parentId = record[ref.via.reference.name];
      const parent = typeof parentId === 'string' ? this.data.table(ref.via.target)[parentId] : undefined;
      if (!parent) {
        out[ref.via.relationshipName] ??= null;
        continue;
      }
      const nested = (out[ref.via.relationshipName] ??= {
        attributes: { type: ref.via.target.name, url: `${baseUrl}/sobjects/${ref.via.target.name}/${String(parent.Id)}` },
      }) as Record<string, unknown>;
      nested[ref.field.name] = parent[ref.field.name] ?? null;
    }
    return out;
  }

  private value(record: SfRecord, ref: ResolvedField): FieldValue {
    if (!ref.via) return record[ref.field.name] ?? null;
    const parentId = record[ref.via.reference.name];
    const parent = typeof parentId === 'string' ? this.data.table(ref.via.target)[parentId] : undefined;
    return parent?.[ref.field.name] ?? null;
  }

  private compile(object: ObjectDef, cond: Condition): (r: SfRecord) => boolean {
    switch (cond.op) {
      case 'and': {
        const parts = cond.items.map((c) => this.compile(object, c));
        return (r) => parts.every((p) => p(r));
      }
      case 'or': {
        const parts = cond.items.map((c) => this.compile(object, c));
        return (r) => parts.some((p) => p(r));
      }
      case 'not': {
        const inner = this.compile(object, cond.item);
        return (r) => !inner(r);
      }
      case 'in': {
        const ref = this.filterable(object, cond.field);
        const values = cond.values.map((v) => this.operand(ref, v));
        return (r) => {
          const actual = this.value(r, ref);
          const hit = values.some((v) => equals(actual, v, ref.field));
          return cond.negate ? !hit : hit;
        };
      }
      case 'cmp': {
        const ref = this.filterable(object, cond.field);
        if (cond.cmp === 'like') {
          if (!STRINGISH.has(ref.field.type) || cond.value.kind !== 'string') throw new SfError(400, 'INVALID_FIELD', `invalid operator on field '${ref.name}': LIKE applies to string fields`);
          const re = new RegExp(`^${cond.value.value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.')}$`, 'is');
          return (r) => {
            const actual = this.value(r, ref);
            return typeof actual === 'string' && re.test(actual);
          };
        }
        const expected = this.operand(ref, cond.value);
        return (r) => {
          const actual = this.value(r, ref);
          if (cond.cmp === '=') return equals(actual, expected, ref.field);
          if (cond.cmp === '!=') return !equals(actual, expected, ref.field);
          if (actual === null || expected === null) return false;
          const c = compareValues(actual, expected);
          return cond.cmp === '<' ? c < 0 : cond.cmp === '<=' ? c <= 0 : cond.cmp === '>' ? c > 0 : c >= 0;
        };
      }
    }
  }

  private filterable(object: ObjectDef, name: string): ResolvedField {
    const ref = this.resolveField(object, name);
    if (ref.field.filterable === false) throw new SfError(400, 'INVALID_FIELD', `field '${ref.name}' can not be filtered in a query call`);
    return ref;
  }

  /** A literal checked against the field's type, the way SOQL refuses quoted dates and unquoted strings. */
  private operand(ref: ResolvedField, literal: Literal): FieldValue {
    const type = ref.field.type;
    const wrong = (expected: string, quoted: boolean) =>
      new SfError(400, 'INVALID_FIELD', `value of filter criterion for field '${ref.name}' must be of type ${expected} and should ${quoted ? '' : 'not '}be enclosed in quotes`);
    if (literal.kind === 'null') return null;
    if (type === 'id' || type === 'reference') {
      if (literal.kind !== 'string') throw wrong('id', true);
      const id = normalizeId(literal.value);
      if (!id) throw new SfError(400, 'INVALID_QUERY_FILTER_OPERATOR', `invalid ID field: ${literal.value}`);
      return id;
    }
    if (STRINGISH.has(type)) {
      if (literal.kind !== 'string') throw wrong('string', true);
      return literal.value;
    }
    if (NUMERIC.has(type)) {
      if (literal.kind !== 'number') throw wrong('double', false);
      return literal.value;
    }
    if (type === 'boolean') {
      if (literal.kind !== 'boolean') throw wrong('boolean', false);
      return literal.value;
    }
    if (type === 'date') {
      if (literal.kind !== 'date') throw wrong('date', false);
      return literal.value;
    }
    if (literal.kind !== 'datetime') throw wrong('dateTime', false);
    return literal.value;
  }
}

function equals(actual: FieldValue, expected: FieldValue, field: FieldDef): boolean {
  if (expected === null) return actual === null || actual === undefined;
  if (actual === null || actual === undefined) return false;
  if (field.type === 'datetime') return Date.parse(String(actual)) === Date.parse(String(expected));
  if (typeof actual === 'string' && typeof expected === 'string' && STRINGISH.has(field.type)) return actual.toLowerCase() === expected.toLowerCase();
  return actual === expected;
}

function compareValues(a: FieldValue, b: FieldValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const da = typeof a === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(a) ? Date.parse(a) : NaN;
  const db = typeof b === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(b) ? Date.parse(b) : NaN;
  if (!Number.isNaN(da) && !Number.isNaN(db)) return da - db;
  const sa = String(a).toLowerCase();
  const sb = String(b).toLowerCase();
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}
