import { SfError } from './errors';
import { INTEGRATION_USER_ID, normalizeId } from './ids';
import { findChildRelationship, findField, findObject, findRelationship, type ChildRelationship, type FieldDef, type ObjectDef } from './schema';
import { compareToRange, dateLiteralKind, dateLiteralRange, instantOf, type DateRange } from './soql-dates';
import type { FieldValue, SfRecord } from './state';

/**
 * The SOQL subset the orchestrator and its tests use, parsed and evaluated for real:
 * SELECT fields | COUNT() FROM object [WHERE ...] [GROUP BY ...] [HAVING ...] [ORDER BY ...] [LIMIT n] [OFFSET n], with
 * =, !=, <>, <, <=, >, >=, LIKE, IN, NOT IN, AND, OR, NOT, parentheses, string/number/boolean/
 * null/date/datetime literals, date literals (soql-dates.ts), one level of parent relationships,
 * child relationship subqueries in the select list, and aggregate functions (soql-aggregate.ts); also
 * semi-joins and anti-joins (`Id IN (SELECT AccountId FROM Contact …)`), FIELDS(ALL|STANDARD|CUSTOM),
 * USING SCOPE and a trailing FOR VIEW | FOR REFERENCE | FOR UPDATE.
 */
type Literal =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }
  | { kind: 'date'; value: string }
  | { kind: 'datetime'; value: string }
  /** TODAY, LAST_N_DAYS:30…: a span of time, resolved when the query runs. */
  | { kind: 'dateLiteral'; name: string; n?: number };

export type AggregateFunction = 'count' | 'count_distinct' | 'sum' | 'avg' | 'min' | 'max';
export interface AggregateCall {
  fn: AggregateFunction;
  field: string;
}

type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'like';
/** `aggregate` is set when the left side is an aggregate function (HAVING); `field` then holds its text, e.g. COUNT(Id). */
export type Condition =
  | { op: 'and' | 'or'; items: Condition[] }
  | { op: 'not'; item: Condition }
  | { op: 'cmp'; field: string; cmp: CompareOp; value: Literal; aggregate?: AggregateCall }
  | { op: 'in'; field: string; negate: boolean; values: Literal[]; aggregate?: AggregateCall }
  /** A semi-join (IN) or anti-join (NOT IN): the field against the one Id or reference field the subquery selects. */
  | { op: 'semi'; field: string; negate: boolean; query: SoqlQuery; aggregate?: undefined };

export type SelectItem = { field: string; alias?: string; aggregate?: undefined } | { aggregate: AggregateCall; alias?: string };

export interface OrderKey {
  field: string;
  desc: boolean;
  nullsLast: boolean;
  /** ORDER BY SUM(Amount__c): only in aggregate queries. */
  aggregate?: AggregateCall;
}

export interface SoqlQuery {
  count: boolean;
  /** The select list's fields; a child subquery appears as its own text, e.g. '(SELECT Id FROM Contacts)'. */
  fields: string[];
  object: string;
  where?: Condition;
  orderBy: OrderKey[];
  limit?: number;
  offset?: number;
  /** Set for aggregate queries (an aggregate function, GROUP BY or HAVING): their rows are AggregateResults. */
  aggregate?: { items: SelectItem[]; groupBy: string[]; having?: Condition };
  /** USING SCOPE, lower-cased: 'everything', 'mine', … (absent: every row, as Everything). */
  scope?: string;
  /** A trailing FOR VIEW | FOR REFERENCE | FOR UPDATE: it changes no rows here. */
  forClause?: 'view' | 'reference' | 'update';
}

/** The select list's FIELDS(ALL|STANDARD|CUSTOM) entries, kept as written upper-cased and expanded against the object when run. */
export type FieldsFunction = 'ALL' | 'STANDARD' | 'CUSTOM';
export const fieldsFunctionOf = (entry: string): FieldsFunction | undefined => /^FIELDS\((ALL|STANDARD|CUSTOM)\)$/.exec(entry)?.[1] as FieldsFunction | undefined;

/** The fields a FIELDS() entry stands for: custom fields end in __c, standard fields are all the others. */
export function fieldsOf(object: ObjectDef, fn: FieldsFunction): string[] {
  return object.fields.filter((f) => fn === 'ALL' || f.name.endsWith('__c') === (fn === 'CUSTOM')).map((f) => f.name);
}

/** The filter scopes SOQL names after USING SCOPE; which ones an object supports is the engine's business. */
const SCOPES = new Set(['delegated', 'everything', 'mine', 'mine_and_my_groups', 'my_territory', 'my_team_territory', 'team', 'scopingrule']);
/** Salesforce caps semi-joins and anti-joins at two per WHERE clause. */
const MAX_SEMI_JOINS = 2;
/** FIELDS(ALL) and FIELDS(CUSTOM) are bounded: Salesforce wants a LIMIT of at most this. */
const FIELDS_LIMIT = 200;

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

const KEYWORDS = new Set(['select', 'from', 'where', 'and', 'or', 'not', 'in', 'like', 'order', 'by', 'asc', 'desc', 'nulls', 'first', 'last', 'limit', 'offset', 'null', 'true', 'false', 'group', 'having']);
const AGGREGATES = new Set<string>(['count', 'count_distinct', 'sum', 'avg', 'min', 'max']);

/** How an aggregate call is written back in messages and HAVING/ORDER BY keys: COUNT(Id). */
export const aggregateText = (call: AggregateCall): string => `${call.fn.toUpperCase()}(${call.field})`;

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly source: string,
  ) {}

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
  private expectPunct(p: string): Token {
    const t = this.next();
    if (t.type !== 'punct' || t.text !== p) throw malformed(`unexpected token: '${t.text}', expected '${p}'`);
    return t;
  }
  private identifier(): string {
    const t = this.next();
    if (t.type !== 'word' || KEYWORDS.has(t.text.toLowerCase())) throw malformed(`unexpected token: '${t.text}'`);
    return t.text;
  }
  /** An aggregate function call starts here: a function name directly followed by '('. */
  private atAggregate(): boolean {
    const t = this.peek();
    return !!t && t.type === 'word' && AGGREGATES.has(t.text.toLowerCase()) && this.tokens[this.i + 1]?.text === '(';
  }
  private aggregateCall(): AggregateCall {
    const fn = this.next().text.toLowerCase() as AggregateFunction;
    this.expectPunct('(');
    const field = this.identifier();
    this.expectPunct(')');
    return { fn, field };
  }
  private alias(): string | undefined {
    const t = this.peek();
    if (!t || t.type !== 'word' || KEYWORDS.has(t.text.toLowerCase())) return undefined;
    this.i++;
    return t.text;
  }

  parse(): SoqlQuery {
    const query = this.query(false);
    const extra = this.peek();
    if (extra) throw malformed(`unexpected token: '${extra.text}'`);
    return query;
  }

  /** A child subquery as written, '(SELECT … )': the tokens must be exactly that. */
  parseSubquery(): SoqlQuery {
    this.expectPunct('(');
    const query = this.query(true);
    this.expectPunct(')');
    const extra = this.peek();
    if (extra) throw malformed(`unexpected token: '${extra.text}'`);
    return query;
  }

  /**
   * One SELECT; `nested` for a child subquery, which ends at its ')' and allows neither aggregates nor further nesting.
   * `semi` for a semi-join's subquery, which also selects exactly one field and has no ORDER BY, LIMIT or OFFSET.
   */
  private query(nested: boolean, semi = false): SoqlQuery {
    this.expectWord('select');
    const query: SoqlQuery = { count: false, fields: [], object: '', orderBy: [] };
    const items: SelectItem[] = [];
    const fieldsFunctions: FieldsFunction[] = [];
    if (!nested && this.isWord('count') && this.tokens[this.i + 1]?.text === '(' && this.tokens[this.i + 2]?.text === ')') {
      this.i += 3;
      query.count = true;
    } else {
      do {
        if (this.peek()?.text === ',') this.i++;
        const t = this.peek();
        if (t?.text === '(' && t.type === 'punct') {
          if (nested) throw malformed(`unexpected token: '('`);
          const open = this.next();
          this.query(true);
          const close = this.expectPunct(')');
          query.fields.push(this.source.slice(open.pos, close.pos + 1));
        } else if (this.isWord('fields') && this.tokens[this.i + 1]?.text === '(') {
          if (semi) throw malformed('FIELDS() is not allowed in a semi join sub-select');
          this.i += 2;
          const arg = this.next();
          const fn = arg.type === 'word' ? arg.text.toUpperCase() : '';
          if (fn !== 'ALL' && fn !== 'STANDARD' && fn !== 'CUSTOM') throw malformed(`unexpected token: '${arg.text}', expected ALL, STANDARD or CUSTOM`);
          this.expectPunct(')');
          fieldsFunctions.push(fn);
          query.fields.push(`FIELDS(${fn})`);
        } else if (this.atAggregate()) {
          if (nested) throw malformed(`unexpected token: '${t!.text}'`);
          items.push({ aggregate: this.aggregateCall(), alias: this.alias() });
        } else {
          const field = this.identifier();
          query.fields.push(field);
          items.push({ field, alias: nested ? undefined : this.alias() });
        }
      } while (this.peek()?.text === ',');
    }
    this.expectWord('from');
    // Object names may be keywords (FROM Order), so any word is taken here.
    const object = this.next();
    if (object.type !== 'word') throw malformed(`unexpected token: '${object.text}'`);
    query.object = object.text;
    if (!nested && this.isWord('using')) {
      this.i++;
      this.expectWord('scope');
      const scope = this.next();
      if (scope.type !== 'word' || !SCOPES.has(scope.text.toLowerCase())) throw malformed(`Invalid scope: '${scope.text}'`);
      query.scope = scope.text.toLowerCase();
    }
    if (this.isWord('where')) {
      this.i++;
      const where = this.orExpr(false);
      checkSemiJoins(where, nested ? (semi ? 'semi' : 'child') : 'main');
      query.where = where;
    }
    if (semi) {
      // Salesforce refuses ORDER BY, LIMIT and OFFSET in a semi-join: the subquery is a set of ids, not a list.
      const t = this.peek();
      if (t && t.type === 'word' && ['order', 'limit', 'offset', 'group', 'having'].includes(t.text.toLowerCase()))
        throw malformed(`${t.text.toUpperCase()} is not allowed in a semi join sub-select`);
      if (query.count || query.fields.length !== 1 || query.fields[0].startsWith('(')) throw malformed('A semi join sub-select must select exactly one Id or reference field');
      return query;
    }
    let groupBy: string[] | undefined;
    if (!nested && this.isWord('group')) {
      this.i++;
      this.expectWord('by');
      groupBy = [this.identifier()];
      while (this.peek()?.text === ',') {
        this.i++;
        groupBy.push(this.identifier());
      }
    }
    let having: Condition | undefined;
    if (!nested && this.isWord('having')) {
      this.i++;
      having = this.orExpr(true);
    }
    if (this.isWord('order')) {
      this.i++;
      this.expectWord('by');
      do {
        if (this.peek()?.text === ',') this.i++;
        const aggregate = !nested && this.atAggregate() ? this.aggregateCall() : undefined;
        const field = aggregate ? aggregateText(aggregate) : this.identifier();
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
        query.orderBy.push({ field, desc, nullsLast, ...(aggregate ? { aggregate } : {}) });
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
    if (!nested && this.isWord('for')) {
      this.i++;
      const t = this.next();
      const mode = t.type === 'word' ? t.text.toLowerCase() : '';
      if (mode !== 'view' && mode !== 'reference' && mode !== 'update') throw malformed(`unexpected token: '${t.text}', expected VIEW, REFERENCE or UPDATE`);
      // Locked rows come back unordered: Salesforce refuses ORDER BY beside FOR UPDATE.
      if (mode === 'update' && query.orderBy.length) throw malformed('ORDER BY is not allowed in a query with FOR UPDATE');
      query.forClause = mode;
    }
    if (fieldsFunctions.some((fn) => fn !== 'STANDARD') && (query.limit === undefined || query.limit > FIELDS_LIMIT))
      throw malformed(`The SOQL FIELDS function must have a LIMIT of at most ${FIELDS_LIMIT}`);
    const aggregated = !!groupBy || !!having || items.some((it) => it.aggregate) || query.orderBy.some((o) => o.aggregate);
    if (aggregated) {
      // COUNT() only ever stands alone, and its answer is a bare totalSize.
      if (query.count) throw malformed(`unexpected token: '${groupBy ? 'GROUP' : 'HAVING'}'`);
      const sub = query.fields.find((f) => f.startsWith('('));
      if (sub) throw malformed(`unexpected token: '('`);
      if (fieldsFunctions.length) throw malformed('FIELDS() is not allowed in an aggregate query');
      query.aggregate = { items, groupBy: groupBy ?? [], ...(having ? { having } : {}) };
    } else {
      // Aliases name columns of aggregate results only.
      const aliased = items.find((it) => it.alias);
      if (aliased) throw malformed(`unexpected token: '${aliased.alias}'`);
    }
    return query;
  }

  private integer(): number {
    const t = this.next();
    if (t.type !== 'number' || !/^\d+$/.test(t.text)) throw malformed(`unexpected token: '${t.text}', expected a non-negative integer`);
    return Number(t.text);
  }

  private orExpr(having: boolean): Condition {
    const items = [this.andExpr(having)];
    while (this.isWord('or')) {
      this.i++;
      items.push(this.andExpr(having));
    }
    return items.length === 1 ? items[0] : { op: 'or', items };
  }

  private andExpr(having: boolean): Condition {
    const items = [this.unary(having)];
    while (this.isWord('and')) {
      this.i++;
      items.push(this.unary(having));
    }
    return items.length === 1 ? items[0] : { op: 'and', items };
  }

  private unary(having: boolean): Condition {
    if (this.isWord('not')) {
      this.i++;
      return { op: 'not', item: this.unary(having) };
    }
    if (this.peek()?.text === '(') {
      this.i++;
      const inner = this.orExpr(having);
      this.expectPunct(')');
      return inner;
    }
    let aggregate: AggregateCall | undefined;
    if (this.atAggregate()) {
      if (!having) throw malformed(`Aggregate functions are not allowed in the WHERE clause: '${this.peek()!.text}'`);
      aggregate = this.aggregateCall();
    }
    const field = aggregate ? aggregateText(aggregate) : this.identifier();
    const extra = aggregate ? { aggregate } : {};
    const t = this.next();
    if (this.isWord('in', t) || (this.isWord('not', t) && this.isWord('in'))) {
      const negate = this.isWord('not', t);
      if (negate) this.i++;
      this.expectPunct('(');
      if (this.isWord('select')) {
        if (having || aggregate) throw malformed('Semi join sub-selects are only allowed in the WHERE clause');
        const sub = this.query(true, true);
        this.expectPunct(')');
        return { op: 'semi', field, negate, query: sub };
      }
      const values = [this.literal()];
      while (this.peek()?.text === ',') {
        this.i++;
        values.push(this.literal());
      }
      this.expectPunct(')');
      return { op: 'in', field, negate, values, ...extra };
    }
    if (this.isWord('like', t)) return { op: 'cmp', field, cmp: 'like', value: this.literal(), ...extra };
    if (t.type === 'punct' && ['=', '!=', '<', '<=', '>', '>='].includes(t.text)) return { op: 'cmp', field, cmp: t.text as CompareOp, value: this.literal(), ...extra };
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
        const kind = dateLiteralKind(w);
        if (kind === 'fixed') return { kind: 'dateLiteral', name: t.text.toUpperCase() };
        if (kind === 'n') {
          // LAST_N_DAYS:n needs its colon and a whole number, nothing else.
          const colon = this.next();
          if (colon.type !== 'punct' || colon.text !== ':') throw malformed(`unexpected token: '${colon.text}', expected ':' after ${t.text.toUpperCase()}`);
          const n = this.next();
          if (n.type !== 'number' || !/^\d+$/.test(n.text)) throw malformed(`unexpected token: '${n.text}', expected a non-negative integer after ${t.text.toUpperCase()}:`);
          return { kind: 'dateLiteral', name: t.text.toUpperCase(), n: Number(n.text) };
        }
        throw malformed(`unexpected token: '${t.text}'`);
      }
      default:
        throw malformed(`unexpected token: '${t.text}'`);
    }
  }
}

/**
 * Where semi-joins may stand, as Salesforce documents: only in the main query's WHERE (not inside another
 * semi-join, nor in a child subquery), only joined by AND at the top level (never under OR or NOT), at most two.
 */
function checkSemiJoins(where: Condition, at: 'main' | 'semi' | 'child'): void {
  let count = 0;
  const walk = (c: Condition, top: boolean): void => {
    if (c.op === 'and') c.items.forEach((item) => walk(item, top));
    else if (c.op === 'or') c.items.forEach((item) => walk(item, false));
    else if (c.op === 'not') walk(c.item, false);
    else if (c.op === 'semi') {
      if (at === 'semi') throw malformed('Nesting of semi join sub-selects is not supported');
      if (at === 'child') throw malformed('Semi join sub-selects are not allowed in a relationship subquery');
      if (!top) {
        if (where.op === 'or') throw malformed("Semi join sub-selects are not allowed with the 'OR' operator");
        throw malformed('Semi join sub-selects are only allowed at the top level WHERE expressions and not in nested WHERE expressions.');
      }
      if (++count > MAX_SEMI_JOINS) throw malformed(`Maximum of ${MAX_SEMI_JOINS} semi join sub-selects are allowed per query`);
    }
  };
  walk(where, true);
}

export function parseSoql(soql: string): SoqlQuery {
  return new Parser(tokenize(soql), soql).parse();
}

/** A child subquery's text, '(SELECT … FROM Contacts …)', as the query it is. */
export function parseSubquery(text: string): SoqlQuery {
  return new Parser(tokenize(text), text).parseSubquery();
}

/** Whether a select list entry is a child subquery rather than a field. */
export const isSubquery = (entry: string): boolean => entry.startsWith('(');

/** A field reference resolved against the schema: a direct field, or one hop through a parent relationship. */
export interface ResolvedField {
  name: string;
  field: FieldDef;
  via?: { reference: FieldDef; relationshipName: string; target: ObjectDef };
}

export interface QueryData {
  table: (object: ObjectDef) => Record<string, SfRecord>;
  /** The user the query runs as, for USING SCOPE Mine; absent: the integration user. */
  userId?: string;
}

/** A child subquery resolved against its parent object: the relationship, its own select list, filter and order. */
interface ChildPlan {
  relationship: ChildRelationship;
  query: SoqlQuery;
  select: string[];
  keep: (r: SfRecord) => boolean;
  order: ((a: SfRecord, b: SfRecord) => number) | undefined;
}

/** What a condition's left side reads, for WHERE (records) and HAVING (groups) alike. */
export interface ConditionScope<T> {
  resolve: (cond: { field: string; aggregate?: AggregateCall }) => ResolvedField;
  /** The object a WHERE clause filters; semi-joins need it (HAVING has none, and no semi-joins). */
  object?: ObjectDef;
  value: (row: T, ref: ResolvedField) => FieldValue;
}

export const STRINGISH = new Set(['string', 'textarea', 'picklist', 'email', 'phone']);
export const NUMERIC = new Set(['double', 'currency', 'int']);

export class SoqlEngine {
  private readonly children = new Map<string, ChildPlan>();
  private readonly childIndexes = new Map<string, Map<string, SfRecord[]>>();

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

  /** Matching record ids in result order, plus the resolved select list (child subqueries kept as their text). */
  run(query: SoqlQuery): { object: ObjectDef; select: string[]; ids: string[]; count: number } {
    // Aggregate rows are not records: callers that take them ask aggregate() (soql-aggregate.ts).
    if (query.aggregate) throw malformed('Aggregate queries are not supported in this call');
    const object = this.resolveObject(query.object);
    const select = [...new Set(expandFields(object, query.fields).map((f) => (isSubquery(f) ? (this.childPlan(object, f), f) : this.resolveField(object, f).name)))];
    const rows = this.matching(object, query);
    const offset = query.offset ?? 0;
    const sliced = rows.slice(offset, query.limit !== undefined ? offset + query.limit : undefined);
    return { object, select, ids: sliced.map((r) => r.Id as string), count: query.count ? sliced.length : rows.length };
  }

  /** The object's records within the query's scope that pass WHERE, in ORDER BY order (no LIMIT/OFFSET applied). */
  matching(object: ObjectDef, query: Pick<SoqlQuery, 'where' | 'orderBy' | 'scope'>, rows: SfRecord[] = Object.values(this.data.table(object))): SfRecord[] {
    const inScope = this.scopePredicate(object, query.scope);
    const where = this.wherePredicate(object, query.where);
    const keep = inScope ? (r: SfRecord) => inScope(r) && where(r) : where;
    const order = this.recordOrder(object, query.orderBy);
    const kept = rows.filter(keep);
    return order ? kept.sort(order) : kept;
  }

  /**
   * USING SCOPE as a row filter (undefined: every row). Everything is every row; Mine (and MineAndMyGroups: this org
   * has no queues or groups) the rows the running user owns, on objects that have an owner. Other scopes need teams,
   * territories, delegation or scoping rules, which this org does not have, so they are refused like an unsupported scope.
   */
  private scopePredicate(object: ObjectDef, scope: string | undefined): ((r: SfRecord) => boolean) | undefined {
    if (!scope || scope === 'everything') return undefined;
    const owner = findField(object, 'OwnerId');
    if (!owner || (scope !== 'mine' && scope !== 'mine_and_my_groups')) throw malformed(`Scope '${scope}' is not supported for entity '${object.name}'`);
    const me = this.data.userId ?? INTEGRATION_USER_ID;
    return (r) => r[owner.name] === me;
  }

  /** A WHERE clause as a predicate over the object's records; aggregate functions are refused there. */
  wherePredicate(object: ObjectDef, where: Condition | undefined): (r: SfRecord) => boolean {
    if (!where) return () => true;
    return this.predicate<SfRecord>(where, {
      object,
      resolve: (c) => {
        if (c.aggregate) throw malformed(`Aggregate functions are not allowed in the WHERE clause: ${c.field}`);
        return this.filterable(object, c.field);
      },
      value: (r, ref) => this.value(r, ref),
    });
  }

  private recordOrder(object: ObjectDef, orderBy: OrderKey[]): ((a: SfRecord, b: SfRecord) => number) | undefined {
    if (!orderBy.length) return undefined;
    const keys = orderBy.map((o) => {
      if (o.aggregate) throw malformed(`Ordered field must be grouped or aggregated: ${o.field}`);
      return { ...o, ref: this.resolveField(object, o.field) };
    });
    return (a, b) => compareBy(keys, (row, k) => this.value(row, k.ref), a, b);
  }

  /** The record as the REST API returns it: attributes, then the selected fields (parents nested, child subqueries as nested query results). */
  shape(object: ObjectDef, record: SfRecord, select: string[], baseUrl: string): Record<string, unknown> {
    const out: Record<string, unknown> = { attributes: { type: object.name, url: `${baseUrl}/sobjects/${object.name}/${String(record.Id)}` } };
    for (const name of select) {
      if (isSubquery(name)) {
        const plan = this.childPlan(object, name);
        out[plan.relationship.relationshipName] = this.childResult(plan, record, baseUrl);
        continue;
      }
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

  /** A subquery's answer for one parent: a query result of its own, or null when the parent has no matching children. */
  private childResult(plan: ChildPlan, parent: SfRecord, baseUrl: string): Record<string, unknown> | null {
    const { child, field } = plan.relationship;
    let rows = (this.childIndex(child, field).get(String(parent.Id)) ?? []).filter(plan.keep);
    if (plan.order) rows = [...rows].sort(plan.order);
    const offset = plan.query.offset ?? 0;
    rows = rows.slice(offset, plan.query.limit !== undefined ? offset + plan.query.limit : undefined);
    if (!rows.length) return null;
    return { totalSize: rows.length, done: true, records: rows.map((r) => this.shape(child, r, plan.select, baseUrl)) };
  }

  /** The child table grouped by its reference to the parent, built once per engine (one request). */
  private childIndex(child: ObjectDef, field: FieldDef): Map<string, SfRecord[]> {
    const key = `${child.name}.${field.name}`;
    let index = this.childIndexes.get(key);
    if (!index) {
      index = new Map();
      for (const r of Object.values(this.data.table(child))) {
        const parentId = r[field.name];
        if (typeof parentId !== 'string') continue;
        const list = index.get(parentId);
        if (list) list.push(r);
        else index.set(parentId, [r]);
      }
      this.childIndexes.set(key, index);
    }
    return index;
  }

  /** Resolves (and checks, so errors surface even when no parent matches) a child subquery against its parent object. */
  private childPlan(parent: ObjectDef, text: string): ChildPlan {
    const key = `${parent.name}|${text}`;
    const cached = this.children.get(key);
    if (cached) return cached;
    const query = parseSubquery(text);
    const relationship = findChildRelationship(parent, query.object);
    if (!relationship) {
      throw new SfError(
        400,
        'INVALID_TYPE',
        `Didn't understand relationship '${query.object}' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`,
      );
    }
    const child = relationship.child;
    if (query.forClause || query.scope) throw malformed(`unexpected token: '${query.forClause ? 'FOR' : 'USING'}'`);
    const plan: ChildPlan = {
      relationship,
      query,
      select: [...new Set(expandFields(child, query.fields).map((f) => this.resolveField(child, f).name))],
      keep: this.wherePredicate(child, query.where),
      order: this.recordOrder(child, query.orderBy),
    };
    this.children.set(key, plan);
    return plan;
  }

  /** A field's value on a record, following one parent relationship when the reference has one. */
  value(record: SfRecord, ref: ResolvedField): FieldValue {
    if (!ref.via) return record[ref.field.name] ?? null;
    const parentId = record[ref.via.reference.name];
    const parent = typeof parentId === 'string' ? this.data.table(ref.via.target)[parentId] : undefined;
    return parent?.[ref.field.name] ?? null;
  }

  /** A condition as a predicate; `scope` says what its left sides name and how to read them from a row. */
  predicate<T>(cond: Condition, scope: ConditionScope<T>): (r: T) => boolean {
    switch (cond.op) {
      case 'and': {
        const parts = cond.items.map((c) => this.predicate(c, scope));
        return (r) => parts.every((p) => p(r));
      }
      case 'or': {
        const parts = cond.items.map((c) => this.predicate(c, scope));
        return (r) => parts.some((p) => p(r));
      }
      case 'not': {
        const inner = this.predicate(cond.item, scope);
        return (r) => !inner(r);
      }
      case 'in': {
        const ref = scope.resolve(cond);
        const tests = cond.values.map((v): ((actual: FieldValue) => boolean) => {
          if (v.kind === 'dateLiteral') {
            const range = this.dateOperand(ref, v);
            return (actual) => inRange(actual, '=', range);
          }
          const expected = this.operand(ref, v);
          return (actual) => equals(actual, expected, ref.field);
        });
        return (r) => {
          const actual = scope.value(r, ref);
          const hit = tests.some((t) => t(actual));
          return cond.negate ? !hit : hit;
        };
      }
      case 'semi': {
        const ref = scope.resolve(cond);
        const ids = this.semiJoinIds(scope.object, ref, cond);
        return (r) => {
          const actual = scope.value(r, ref);
          const hit = typeof actual === 'string' && ids.has(actual);
          return cond.negate ? !hit : hit;
        };
      }
      case 'cmp': {
        const ref = scope.resolve(cond);
        if (cond.cmp === 'like') {
          if (!STRINGISH.has(ref.field.type) || cond.value.kind !== 'string') throw new SfError(400, 'INVALID_FIELD', `invalid operator on field '${ref.name}': LIKE applies to string fields`);
          const re = new RegExp(`^${cond.value.value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.')}$`, 'is');
          return (r) => {
            const actual = scope.value(r, ref);
            return typeof actual === 'string' && re.test(actual);
          };
        }
        const cmp = cond.cmp;
        if (cond.value.kind === 'dateLiteral') {
          const range = this.dateOperand(ref, cond.value);
          return (r) => inRange(scope.value(r, ref), cmp, range);
        }
        const expected = this.operand(ref, cond.value);
        return (r) => {
          const actual = scope.value(r, ref);
          if (cmp === '=') return equals(actual, expected, ref.field);
          if (cmp === '!=') return !equals(actual, expected, ref.field);
          if (actual === null || expected === null) return false;
          const c = compareValues(actual, expected);
          return cmp === '<' ? c < 0 : cmp === '<=' ? c <= 0 : cmp === '>' ? c > 0 : c >= 0;
        };
      }
    }
  }

  /**
   * A semi-join's subquery run once, as the set of ids it selects. Salesforce's rules: the outer field is the object's
   * Id or one of its reference fields, not reached through a relationship; the subquery selects one Id or reference
   * field of another object, again without a relationship. The recycle bin stays out of the subquery even under
   * queryAll, as Salesforce's semi-joins leave deleted rows out.
   */
  private semiJoinIds(outer: ObjectDef | undefined, ref: ResolvedField, cond: Extract<Condition, { op: 'semi' }>): Set<string> {
    if (!outer) throw malformed('Semi join sub-selects are only allowed in the WHERE clause');
    const idOrReference = (f: FieldDef) => f.type === 'id' || f.type === 'reference';
    if (ref.via || !idOrReference(ref.field)) throw malformed(`Invalid semi join: the left operand '${cond.field}' must be an Id or a reference field of ${outer.name}`);
    const inner = this.resolveObject(cond.query.object);
    if (inner.name === outer.name) throw malformed('The inner and outer selects should not be on the same object type');
    const selected = this.resolveField(inner, cond.query.fields[0]);
    if (selected.via || !idOrReference(selected.field)) throw malformed(`Invalid semi join sub-select: '${cond.query.fields[0]}' must be an Id or a reference field of ${inner.name}`);
    const live = Object.values(this.data.table(inner)).filter((r) => r.IsDeleted !== true);
    const ids = new Set<string>();
    for (const r of this.matching(inner, { where: cond.query.where, orderBy: [], scope: cond.query.scope }, live)) {
      const id = r[selected.field.name];
      if (typeof id === 'string') ids.add(id);
    }
    return ids;
  }

  private filterable(object: ObjectDef, name: string): ResolvedField {
    const ref = this.resolveField(object, name);
    if (ref.field.filterable === false) throw new SfError(400, 'INVALID_FIELD', `field '${ref.name}' can not be filtered in a query call`);
    return ref;
  }

  /**
   * A date literal's span, for date and datetime fields only; on any other field it is the same
   * type error as any wrongly typed value. The span is taken when the query runs (GMT: soql-dates.ts).
   */
  private dateOperand(ref: ResolvedField, literal: Extract<Literal, { kind: 'dateLiteral' }>): DateRange {
    if (ref.field.type !== 'date' && ref.field.type !== 'datetime') this.operand(ref, literal);
    return dateLiteralRange(literal.name, literal.n);
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

/** The select list with each FIELDS() entry replaced by the fields it stands for on the object. */
export function expandFields(object: ObjectDef, fields: string[]): string[] {
  return fields.flatMap((entry) => {
    const fn = fieldsFunctionOf(entry);
    return fn ? fieldsOf(object, fn) : [entry];
  });
}

/** A stored value against a date literal's span; a null or unparsable value is only ever "not equal". */
function inRange(actual: FieldValue, cmp: Exclude<CompareOp, 'like'>, range: DateRange): boolean {
  const at = instantOf(actual);
  if (Number.isNaN(at)) return cmp === '!=';
  return compareToRange(at, cmp, range);
}

/** ORDER BY over any rows: nulls placed by their own setting (not flipped by DESC), then the values compared. */
export function compareBy<T, K extends { desc: boolean; nullsLast: boolean }>(keys: K[], read: (row: T, key: K) => FieldValue, a: T, b: T): number {
  for (const k of keys) {
    const va = read(a, k);
    const vb = read(b, k);
    if (va === null || vb === null) {
      if (va === vb) continue;
      return (va === null) === k.nullsLast ? 1 : -1;
    }
    const c = compareValues(va, vb);
    if (c !== 0) return k.desc ? -c : c;
  }
  return 0;
}

function equals(actual: FieldValue, expected: FieldValue, field: FieldDef): boolean {
  if (expected === null) return actual === null || actual === undefined;
  if (actual === null || actual === undefined) return false;
  if (field.type === 'datetime') return Date.parse(String(actual)) === Date.parse(String(expected));
  if (typeof actual === 'string' && typeof expected === 'string' && STRINGISH.has(field.type)) return actual.toLowerCase() === expected.toLowerCase();
  return actual === expected;
}

export function compareValues(a: FieldValue, b: FieldValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const da = typeof a === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(a) ? Date.parse(a) : NaN;
  const db = typeof b === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(b) ? Date.parse(b) : NaN;
  if (!Number.isNaN(da) && !Number.isNaN(db)) return da - db;
  const sa = String(a).toLowerCase();
  const sb = String(b).toLowerCase();
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}
