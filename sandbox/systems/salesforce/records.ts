import { SfError, malformedId, notFound } from './errors';
import { INTEGRATION_USER_ID, normalizeId } from './ids';
import { findField, findObject, findRelationship, objectByPrefix, type FieldDef, type ObjectDef } from './schema';
import { nextId, sfDateTime, type FieldValue, type SalesforceState, type SfRecord } from './state';

/** A side effect to put in the ledger once the operation commits (allOrNone may roll it back). */
export interface Effect {
  kind: string;
  ref: string;
  idempotencyKey?: string;
  data?: Record<string, unknown>;
}


type Mode = 'create' | 'update';

/**
 * The org's data manipulation: create, update, upsert and delete with Salesforce's checks
 * (unknown and read-only fields, types, required fields, references, unique external ids,
 * validation rules), each producing the ledger effects the caller records on commit.
 */
export class Org {
  /** `actingUserId`: the session's user, who owns what it creates unless an OwnerId is given, as in Salesforce. */
  constructor(
    private readonly state: SalesforceState,
    private readonly actingUserId: string = INTEGRATION_USER_ID,
  ) {}

  table(object: ObjectDef): Record<string, SfRecord> {
    return (this.state.records[object.name] ??= {});
  }

  object(name: string): ObjectDef {
    const def = findObject(name);
    if (!def) throw new SfError(404, 'NOT_FOUND', `The requested resource does not exist`);
    return def;
  }

  /** The record with this id, or NOT_FOUND / MALFORMED_ID the way the REST API answers. */
  get(object: ObjectDef, rawId: string): SfRecord {
    const id = normalizeId(rawId);
    if (!id || !id.startsWith(object.keyPrefix)) throw malformedId(rawId);
    const record = this.table(object)[id];
    if (!record) throw this.state.recycleBin?.[object.name]?.[id] ? new SfError(404, 'ENTITY_IS_DELETED', 'entity is deleted') : notFound();
    return record;
  }

  findBy(object: ObjectDef, field: FieldDef, value: FieldValue): SfRecord[] {
    return Object.values(this.table(object)).filter((r) => r[field.name] === value);
  }

  externalIdField(object: ObjectDef, name: string): FieldDef {
    const field = findField(object, name);
    if (!field || (!field.externalId && field.name !== 'Id')) {
      throw new SfError(404, 'NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${name}`);
    }
    return field;
  }

  create(object: ObjectDef, input: Record<string, unknown>, effects: Effect[], bulk = false): string {
    const values = this.coerce(object, input, 'create', bulk);
    const now = sfDateTime();
    const record: SfRecord = { Id: '', CreatedDate: now, LastModifiedDate: now, SystemModstamp: now, IsDeleted: false };
    for (const field of object.fields) {
      if (field.defaultValue !== undefined && values[field.name] === undefined) record[field.name] = field.defaultValue;
    }
    Object.assign(record, values);
    if (record.OwnerId === undefined && findField(object, 'OwnerId')) record.OwnerId = this.actingUserId;
    if (object.autoNumber) {
      this.state.autoNumbers[object.name] = (this.state.autoNumbers[object.name] ?? 0) + 1;
      record[object.autoNumber.field] = object.autoNumber.format(this.state.autoNumbers[object.name]);
    }
    this.derive(object, record);
    this.check(object, record, undefined);
    const id = nextId(this.state, object.keyPrefix);
    record.Id = id;
    this.table(object)[id] = record;
    effects.push({ kind: `${object.name}.created`, ref: id, idempotencyKey: this.externalKey(object, record), data: values });
    return id;
  }

  update(object: ObjectDef, rawId: string, input: Record<string, unknown>, effects: Effect[], bulk = false): string {
    const existing = this.get(object, rawId);
    const values = this.coerce(object, input, 'update', bulk);
    const next: SfRecord = { ...existing, ...values, LastModifiedDate: sfDateTime(), SystemModstamp: sfDateTime() };
    this.derive(object, next);
    this.check(object, next, existing.Id as string);
    this.table(object)[existing.Id as string] = next;
    effects.push({ kind: `${object.name}.updated`, ref: existing.Id as string, idempotencyKey: this.externalKey(object, next), data: values });
    return existing.Id as string;
  }

  /** Upsert by external id: 0 matches creates, 1 updates, more is MULTIPLE_CHOICES (300). */
  upsert(object: ObjectDef, fieldName: string, value: string, input: Record<string, unknown>, effects: Effect[], bulk = false): { id: string; created: boolean } {
    const field = this.externalIdField(object, fieldName);
    const body = { ...input };
    for (const key of Object.keys(body)) {
      if (key.toLowerCase() === field.name.toLowerCase()) {
        if (String(body[key]) !== value) throw new SfError(400, 'INVALID_FIELD', `The value of the external ID field ${field.name} in the body does not match the URL`, [field.name]);
        delete body[key];
      }
    }
    if (field.name === 'Id') return { id: this.update(object, value, body, effects, bulk), created: false };
    const matches = this.findBy(object, field, value);
    if (matches.length > 1) throw new SfError(300, 'MULTIPLE_CHOICES', `Multiple records found for ${field.name} = ${value}`);
    if (matches.length === 1) return { id: this.update(object, matches[0].Id as string, body, effects, bulk), created: false };
    return { id: this.create(object, { ...body, [field.name]: value }, effects, bulk), created: true };
  }

  remove(object: ObjectDef, rawId: string, effects: Effect[]): string {
    const existing = this.get(object, rawId);
    delete this.table(object)[existing.Id as string];
    // Into the recycle bin: queryAll still finds it, getDeleted reports it, reads answer ENTITY_IS_DELETED.
    const deletedAt = sfDateTime();
    ((this.state.recycleBin ??= {})[object.name] ??= {})[existing.Id as string] = { ...existing, IsDeleted: true, LastModifiedDate: deletedAt, SystemModstamp: deletedAt };
    effects.push({ kind: `${object.name}.deleted`, ref: existing.Id as string, idempotencyKey: this.externalKey(object, existing) });
    return existing.Id as string;
  }

  /** Request body → typed field values, rejecting what Salesforce rejects. */
  coerce(object: ObjectDef, input: Record<string, unknown>, mode: Mode, bulk: boolean): SfRecord {
    const out: SfRecord = {};
    for (const [key, raw] of Object.entries(input)) {
      if (key === 'attributes') continue;
      if (bulk && raw === '') continue; // Bulk API: an empty cell leaves the field unchanged; #N/A clears it.
      const value = bulk && raw === '#N/A' ? null : raw;
      if (key.includes('.') || (value !== null && typeof value === 'object' && !Array.isArray(value))) {
        const [relName, extName] = key.includes('.') ? key.split('.', 2) : [key, Object.keys(value as object).find((k) => k !== 'attributes') ?? ''];
        const extValue = key.includes('.') ? value : (value as Record<string, unknown>)[extName];
        const relField = findRelationship(object, relName);
        if (!relField) throw new SfError(400, 'INVALID_FIELD', `No such column '${relName}' on sobject of type ${object.name}`, [relName]);
        // A reference set through its relationship is still that field: read-only is read-only.
        if ((mode === 'create' && relField.createable === false) || (mode === 'update' && relField.updateable === false)) {
          throw new SfError(400, 'INVALID_FIELD_FOR_INSERT_UPDATE', `Unable to create/update fields: ${relField.name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`, [relField.name]);
        }
        out[relField.name] = this.resolveForeignKey(relField, extName, extValue);
        continue;
      }
      const field = findField(object, key);
      if (!field) throw new SfError(400, 'INVALID_FIELD', `No such column '${key}' on sobject of type ${object.name}`, [key]);
      if ((mode === 'create' && field.createable === false) || (mode === 'update' && field.updateable === false)) {
        throw new SfError(400, 'INVALID_FIELD_FOR_INSERT_UPDATE', `Unable to create/update fields: ${field.name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`, [field.name]);
      }
      out[field.name] = this.coerceValue(object, field, value);
    }
    return out;
  }

  private coerceValue(object: ObjectDef, field: FieldDef, value: unknown): FieldValue {
    if (value === null || value === undefined) return null;
    const wrongType = () => new SfError(400, 'JSON_PARSER_ERROR', `Cannot deserialize instance of ${field.type} from ${typeof value} value ${JSON.stringify(value)} for field ${object.name}.${field.name}`, [field.name]);
    switch (field.type) {
      case 'double':
      case 'currency':
      case 'int': {
        const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
        if (!Number.isFinite(n) || (field.type === 'int' && !Number.isInteger(n))) throw wrongType();
        return n;
      }
      case 'boolean':
        if (typeof value === 'boolean') return value;
        if (value === 'true' || value === 'false') return value === 'true';
        throw wrongType();
      case 'date':
        if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) throw wrongType();
        return value;
      case 'datetime':
        if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw wrongType();
        return sfDateTime(value);
      case 'reference': {
        if (typeof value !== 'string') throw wrongType();
        const id = normalizeId(value);
        if (!id) throw new SfError(400, 'MALFORMED_ID', `${field.name}: id value of incorrect type: ${value}`, [field.name]);
        const target = field.referenceTo ? findObject(field.referenceTo) : undefined;
        if (target) {
          if (objectByPrefix(id)?.name !== target.name) throw new SfError(400, 'FIELD_INTEGRITY_EXCEPTION', `${field.name}: id value of incorrect type: ${value}`, [field.name]);
          if (!this.table(target)[id]) throw new SfError(400, 'INVALID_CROSS_REFERENCE_KEY', `invalid cross reference id`, [field.name]);
        }
        return id;
      }
      default: {
        if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw wrongType();
        const text = String(value);
        const max = field.type === 'textarea' ? 32_000 : 255;
        if (text.length > max) throw new SfError(400, 'STRING_TOO_LONG', `${field.name}: data value too large: ${text.slice(0, 40)}... (max length=${max})`, [field.name]);
        return text;
      }
    }
  }

  private resolveForeignKey(relField: FieldDef, extName: string, extValue: unknown): string {
    const target = relField.referenceTo ? findObject(relField.referenceTo) : undefined;
    const extField = target ? findField(target, extName) : undefined;
    if (!target || !extField || !extField.externalId) {
      throw new SfError(400, 'INVALID_FIELD', `Field ${extName} is not an external id field of ${relField.referenceTo ?? relField.name}`, [relField.name]);
    }
    const match = this.findBy(target, extField, String(extValue))[0];
    if (!match) throw new SfError(400, 'INVALID_FIELD', `Foreign key external ID: ${String(extValue)} not found for field ${extField.name} in entity ${target.name}`, [relField.name]);
    return match.Id as string;
  }

  /** Fields Salesforce computes itself. */
  private derive(object: ObjectDef, record: SfRecord): void {
    if (object.name === 'Case') {
      const closed = record.Status === 'Closed';
      if (closed && !record.IsClosed) record.ClosedDate = sfDateTime();
      record.IsClosed = closed;
      if (!closed) record.ClosedDate = null;
    }
    if (object.name === 'PricebookEntry' && typeof record.Product2Id === 'string') {
      const product = this.table(findObject('Product2')!)[record.Product2Id];
      record.Name = (product?.Name as string | undefined) ?? null;
      record.ProductCode = (product?.ProductCode as string | undefined) ?? null;
    }
    if (object.name === 'OrderItem' && typeof record.Quantity === 'number' && typeof record.UnitPrice === 'number') {
      record.TotalPrice = Math.round(record.Quantity * record.UnitPrice * 100) / 100;
    }
  }

  private check(object: ObjectDef, record: SfRecord, selfId: string | undefined): void {
    const missing = object.fields.filter((f) => f.required && (record[f.name] === null || record[f.name] === undefined || record[f.name] === '')).map((f) => f.name);
    if (missing.length) throw new SfError(400, 'REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, missing);
    for (const field of object.fields.filter((f) => f.unique)) {
      const value = record[field.name];
      if (value === null || value === undefined) continue;
      const clash = this.findBy(object, field, value).find((r) => r.Id !== selfId);
      if (clash) throw new SfError(400, 'DUPLICATE_VALUE', `duplicate value found: ${field.name} duplicates value on record with id: ${String(clash.Id)}`, [field.name]);
    }
    if (object.name === 'PricebookEntry') this.checkPriceDefinition(object, record, selfId);
    const rule = object.validate?.(record);
    if (rule) throw new SfError(400, 'FIELD_CUSTOM_VALIDATION_EXCEPTION', rule);
  }

  /** One price per product, book and currency; a custom book prices a product only once the standard book does. */
  private checkPriceDefinition(object: ObjectDef, record: SfRecord, selfId: string | undefined): void {
    const entries = Object.values(this.table(object));
    const same = (r: SfRecord, book: FieldValue) => r.Pricebook2Id === book && r.Product2Id === record.Product2Id && r.CurrencyIsoCode === record.CurrencyIsoCode;
    const clash = entries.find((r) => r.Id !== selfId && same(r, record.Pricebook2Id));
    if (clash) throw new SfError(400, 'DUPLICATE_VALUE', `This price definition already exists in this price book: ${String(clash.Id)}`);
    const books = this.table(findObject('Pricebook2')!);
    if (books[record.Pricebook2Id as string]?.IsStandard === true) return;
    const standard = Object.values(books).find((b) => b.IsStandard === true);
    if (!standard || !entries.some((r) => same(r, standard.Id))) throw new SfError(400, 'STANDARD_PRICE_NOT_DEFINED', 'No standard price defined for this product');
  }

  private externalKey(object: ObjectDef, record: SfRecord): string | undefined {
    const field = object.fields.find((f) => f.externalId);
    const value = field ? record[field.name] : undefined;
    return typeof value === 'string' ? value : undefined;
  }
}
