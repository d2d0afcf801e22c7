import { SfError } from './errors';
import type { FieldType } from './schema';
import { NUMERIC, STRINGISH, aggregateText, compareBy, compareValues, type AggregateCall, type ResolvedField, type SoqlEngine, type SoqlQuery } from './soql';
import type { FieldValue, SfRecord } from './state';

/**
 * Aggregate SOQL (COUNT(field), COUNT_DISTINCT, SUM, AVG, MIN, MAX, GROUP BY, HAVING) answered as
 * AggregateResult rows. Unaliased aggregates are named expr0, expr1… in select order, counting only
 * the unaliased ones; a grouped parent field (Account.Name) is named by its field alone (Name).
 */

/** Aggregate results come in one batch: there is no queryMore for them, so more rows than this is an error. */
export const MAX_AGGREGATE_ROWS = 2000;

const malformed = (message: string) => new SfError(400, 'MALFORMED_QUERY', message);

interface Group {
  rows: SfRecord[];
}

interface Aggregate {
  call: AggregateCall;
  ref: ResolvedField;
}

/** What each function's result is typed as, for HAVING's literal checks. */
const resultType = (a: Aggregate): FieldType => (a.call.fn === 'count' || a.call.fn === 'count_distinct' ? 'int' : a.call.fn === 'sum' || a.call.fn === 'avg' ? 'double' : a.ref.field.type);

// Values that are the same group or the same distinct value: text compares without case, as SOQL does.
const sameKey = (value: FieldValue, ref: ResolvedField): string => JSON.stringify(typeof value === 'string' && STRINGISH.has(ref.field.type) ? value.toLowerCase() : value);

export function aggregateQuery(engine: SoqlEngine, query: SoqlQuery): Record<string, unknown>[] {
  const spec = query.aggregate;
  if (!spec) throw new Error('aggregateQuery needs an aggregate query');
  const object = engine.resolveObject(query.object);

  const groupRefs = spec.groupBy.map((name) => {
    const ref = engine.resolveField(object, name);
    // Salesforce marks these field types not groupable.
    if (ref.field.filterable === false || ref.field.type === 'double' || ref.field.type === 'currency' || ref.field.type === 'datetime') {
      throw new SfError(400, 'INVALID_FIELD', `field '${ref.name}' can not be grouped in a query call`);
    }
    return ref;
  });
  const grouped = (ref: ResolvedField) => groupRefs.some((g) => g.name === ref.name);

  const resolveAggregate = (call: AggregateCall): Aggregate => {
    const ref = engine.resolveField(object, call.field);
    const numericOnly = call.fn === 'sum' || call.fn === 'avg';
    const unsupported = numericOnly ? !NUMERIC.has(ref.field.type) : ref.field.filterable === false || ((call.fn === 'min' || call.fn === 'max') && ref.field.type === 'boolean');
    if (unsupported) throw new SfError(400, 'INVALID_FIELD', `field ${ref.name} does not support aggregate operator ${call.fn.toUpperCase()}`);
    return { call, ref };
  };
  const groupValue = (group: Group, ref: ResolvedField): FieldValue => (group.rows.length ? engine.value(group.rows[0], ref) : null);

  let expr = 0;
  const columns = spec.items.map((item) => {
    if (item.aggregate) {
      const a = resolveAggregate(item.aggregate);
      return { key: item.alias ?? `expr${expr++}`, read: (g: Group) => compute(engine, a, g) };
    }
    const ref = engine.resolveField(object, item.field);
    if (!grouped(ref)) throw malformed(`Field must be grouped or aggregated: ${ref.name}`);
    return { key: item.alias ?? ref.field.name, read: (g: Group) => groupValue(g, ref) };
  });

  // HAVING names aggregates (typed by their result) and grouped fields.
  const having = spec.having;
  const synthetic = new Map<ResolvedField, Aggregate>();
  const keep = having
    ? engine.predicate<Group>(having, {
        resolve: (c) => {
          if (c.aggregate) {
            const a = resolveAggregate(c.aggregate);
            const text = aggregateText(c.aggregate);
            const ref: ResolvedField = { name: text, field: { name: text, type: resultType(a) } };
            synthetic.set(ref, a);
            return ref;
          }
          const ref = engine.resolveField(object, c.field);
          if (!grouped(ref)) throw malformed(`Field must be grouped or aggregated: ${ref.name}`);
          return ref;
        },
        value: (g, ref) => {
          const a = synthetic.get(ref);
          return a ? compute(engine, a, g) : groupValue(g, ref);
        },
      })
    : () => true;

  const orderKeys = query.orderBy.map((o) => {
    if (o.aggregate) {
      const a = resolveAggregate(o.aggregate);
      return { ...o, read: (g: Group) => compute(engine, a, g) };
    }
    const ref = engine.resolveField(object, o.field);
    if (!grouped(ref)) throw malformed(`Ordered field must be grouped or aggregated: ${ref.name}`);
    return { ...o, read: (g: Group) => groupValue(g, ref) };
  });

  const rows = engine.matching(object, { where: query.where, orderBy: [], scope: query.scope });
  let groups: Group[];
  if (!groupRefs.length) {
    // Without GROUP BY there is exactly one row, even over no records (COUNT 0, SUM null).
    groups = [{ rows }];
  } else {
    const byKey = new Map<string, Group>();
    for (const r of rows) {
      const key = groupRefs.map((ref) => sameKey(engine.value(r, ref), ref)).join('|');
      const group = byKey.get(key);
      if (group) group.rows.push(r);
      else byKey.set(key, { rows: [r] });
    }
    groups = [...byKey.values()];
  }
  groups = groups.filter(keep);
  if (orderKeys.length) groups.sort((a, b) => compareBy(orderKeys, (g, k) => k.read(g), a, b));
  const offset = query.offset ?? 0;
  groups = groups.slice(offset, query.limit !== undefined ? offset + query.limit : undefined);
  if (groups.length > MAX_AGGREGATE_ROWS) throw malformed('Aggregate query does not support queryMore(), use LIMIT to restrict the results to a single batch');

  return groups.map((g) => {
    const out: Record<string, unknown> = { attributes: { type: 'AggregateResult' } };
    for (const c of columns) out[c.key] = c.read(g);
    return out;
  });
}

function compute(engine: SoqlEngine, a: Aggregate, group: Group): FieldValue {
  const values = group.rows.map((r) => engine.value(r, a.ref)).filter((v): v is Exclude<FieldValue, null> => v !== null && v !== undefined);
  switch (a.call.fn) {
    case 'count':
      return values.length;
    case 'count_distinct':
      return new Set(values.map((v) => sameKey(v, a.ref))).size;
    case 'sum':
    case 'avg': {
      const numbers = values.filter((v): v is number => typeof v === 'number');
      if (!numbers.length) return null;
      const sum = numbers.reduce((s, v) => s + v, 0);
      // Currency sums are decimal in Salesforce: binary float noise (0.1 + 0.2) is rounded away.
      return Number.parseFloat((a.call.fn === 'sum' ? sum : sum / numbers.length).toPrecision(15));
    }
    case 'min':
    case 'max': {
      if (!values.length) return null;
      const sign = a.call.fn === 'min' ? 1 : -1;
      return values.reduce((best, v) => (sign * compareValues(v, best) < 0 ? v : best));
    }
  }
}
