import { CUSTOMER_MASTER_FIELDS, CustomerChangeSchema, sameValue, type CustomerChange, type CustomerMasterField, type CustomerMasterValues, type FieldOwnership, type MasterSystem } from '../../domain/customer-master';

export type IgnoredCustomerReason = 'invalid' | 'duplicate' | 'out-of-order' | 'echo' | 'other-customer';

/** One field as each system is known to hold it; the owner's value is the truth. */
export interface FieldState {
  held: Partial<Record<MasterSystem, unknown>>;
  /** The newest version applied per system (Salesforce's commit number, the ERP's record version). */
  versions: Partial<Record<MasterSystem, number>>;
  /** Values this workflow wrote to Salesforce lately: one coming back is an echo, not a change. */
  writtenToSalesforce: unknown[];
  /** The open conflict's key: the field is not written until the steward settles it. */
  openConflict?: string;
}

/** A non-owning system holding another value than the owner: a Case for the data steward, neither side overwritten. */
export interface CustomerConflict {
  field: CustomerMasterField;
  owner: MasterSystem;
  changedBy: MasterSystem;
  ownerValue: unknown;
  otherValue: unknown;
  /** The change that caused it, or "first-sync" when the systems already differed when the sync began. */
  cause: string;
  detectedAt: string;
  /** The data steward's Case (Retail_Key__c = key). */
  key: string;
  caseId?: string;
  resolvedAt?: string;
}

export interface CustomerSyncState {
  customerId: string;
  salesforce?: { accountId: string; contactId?: string };
  /** The ERP record's version as last read or written (If-Match for the next write). */
  erpVersion?: number;
  /** ERP versions this workflow's own writes produced: the poll seeing them is an echo. */
  erpWrittenVersions: number[];
  fields: Partial<Record<CustomerMasterField, FieldState>>;
  recentEventIds: string[];
  events: { received: number; applied: number; duplicates: number; outOfOrder: number; echoes: number; invalid: number };
  writes: { salesforce: number; erp: number; erpStale: number; refused: number };
  /** Write attempts to the ERP so far: names each write's Idempotency-Key. */
  erpWriteSeq: number;
  /** The last write a system refused (a rejection, not an outage): retried only after the next change. */
  lastRefusal?: { target: MasterSystem; errorType?: string; message: string; at: string };
  /** Open conflicts and the last few resolved ones (carried across continue-as-new, so bounded). */
  conflicts: CustomerConflict[];
  /** Conflicts raised so far: names each conflict's Case key, so a pruned list never reuses one. */
  conflictSeq: number;
  ignored: { eventId: string; source?: string; reason: IgnoredCustomerReason }[];
  continuedAsNew: number;
}

const DEDUP_MEMORY = 500;
const ECHO_MEMORY = 5;
const RESOLVED_CONFLICT_MEMORY = 20;

export const otherSystem = (s: MasterSystem): MasterSystem => (s === 'erp' ? 'salesforce' : 'erp');

export function emptyCustomerState(customerId: string): CustomerSyncState {
  return {
    customerId,
    erpWrittenVersions: [],
    fields: {},
    recentEventIds: [],
    events: { received: 0, applied: 0, duplicates: 0, outOfOrder: 0, echoes: 0, invalid: 0 },
    writes: { salesforce: 0, erp: 0, erpStale: 0, refused: 0 },
    erpWriteSeq: 0,
    conflicts: [],
    conflictSeq: 0,
    ignored: [],
    continuedAsNew: 0,
  };
}

/**
 * Folds both systems' changes into what each holds, by field: drops repeats (event id), stale
 * changes (version), echoes of its own writes, and raises a conflict when the system that does not
 * own a field changes it to something the owner does not hold.
 */
export class CustomerFold {
  readonly state: CustomerSyncState;
  private readonly seenIds: Set<string>;
  /** Fields the owning system reported since the sync began: their differences are explained (the first round). */
  private readonly ownerReported = new Set<CustomerMasterField>();

  constructor(
    customerId: string,
    carried: CustomerSyncState | undefined,
    private readonly ownership: FieldOwnership,
    private readonly now: () => string,
  ) {
    this.state = carried ?? emptyCustomerState(customerId);
    this.seenIds = new Set(this.state.recentEventIds);
  }

  field(name: CustomerMasterField): FieldState {
    return (this.state.fields[name] ??= { held: {}, versions: {}, writtenToSalesforce: [] });
  }

  /** Both systems as first read: the owner's value is the truth; a difference nobody explains becomes a conflict (firstSync). */
  baseline(erp: { values: CustomerMasterValues; version: number }, salesforce: { values: CustomerMasterValues; accountId: string; contactId?: string } | undefined): void {
    this.state.erpVersion = erp.version;
    if (salesforce) this.state.salesforce = { accountId: salesforce.accountId, contactId: salesforce.contactId };
    for (const name of CUSTOMER_MASTER_FIELDS) {
      const f = this.field(name);
      f.held.erp = erp.values[name];
      f.versions.erp = erp.version;
      if (salesforce) f.held.salesforce = salesforce.values[name];
    }
  }

  /** Fields whose non-owning system differs from the owner with no open conflict: the next writes. */
  pendingWrites(target: MasterSystem): CustomerMasterValues {
    const values: Record<string, unknown> = {};
    for (const name of CUSTOMER_MASTER_FIELDS) {
      const f = this.state.fields[name];
      const owner = this.ownership[name];
      if (!f || otherSystem(owner) !== target || f.openConflict !== undefined) continue;
      if (f.held[owner] !== undefined && !sameValue(f.held[owner], f.held[target])) values[name] = f.held[owner];
    }
    return values as CustomerMasterValues;
  }

  /** Fields where the non-owner differs from the owner and nobody has changed them since the sync began. */
  unexplainedDifferences(): CustomerMasterField[] {
    return CUSTOMER_MASTER_FIELDS.filter((name) => {
      const f = this.state.fields[name];
      const owner = this.ownership[name];
      return f && !this.ownerReported.has(name) && f.openConflict === undefined && f.held[owner] !== undefined && f.held[otherSystem(owner)] !== undefined && !sameValue(f.held[owner], f.held[otherSystem(owner)]);
    });
  }

  receive(raw: unknown): { changed: CustomerMasterField[] } {
    const s = this.state;
    s.events.received += 1;
    const parsed = CustomerChangeSchema.safeParse(raw);
    if (!parsed.success) {
      s.events.invalid += 1;
      this.ignore((raw as { eventId?: string })?.eventId ?? '(none)', undefined, 'invalid');
      return { changed: [] };
    }
    const change = parsed.data;
    if (change.customerId !== s.customerId) return this.ignore(change.eventId, change.source, 'other-customer');
    const id = `${change.source}:${change.eventId}`;
    if (this.seenIds.has(id)) {
      s.events.duplicates += 1;
      return this.ignore(change.eventId, change.source, 'duplicate');
    }
    this.remember(id);
    if (change.salesforce && !s.salesforce) s.salesforce = change.salesforce;
    if (change.source === 'erp') {
      if (s.erpWrittenVersions.includes(change.version)) {
        s.events.echoes += 1;
        return this.ignore(change.eventId, 'erp', 'echo');
      }
      if (s.erpVersion !== undefined && change.version <= s.erpVersion) {
        // The version already read (the change that started the sync): what the ERP reports of its own fields stands.
        if (change.version === s.erpVersion) for (const name of Object.keys(change.values) as CustomerMasterField[]) if (this.ownership[name] === 'erp') this.ownerReported.add(name);
        s.events.outOfOrder += 1;
        return this.ignore(change.eventId, 'erp', 'out-of-order');
      }
      s.erpVersion = change.version;
    }
    const changed = this.apply(change);
    if (changed === undefined) {
      s.events.outOfOrder += 1;
      return this.ignore(change.eventId, change.source, 'out-of-order');
    }
    if (changed.echoes && !changed.fields.length) {
      s.events.echoes += 1;
      return this.ignore(change.eventId, change.source, 'echo');
    }
    s.events.applied += 1;
    return { changed: changed.fields };
  }

  /** The fields this change moved; undefined when every field it carries is older than one already applied. */
  private apply(change: CustomerChange): { fields: CustomerMasterField[]; echoes: number } | undefined {
    const fields: CustomerMasterField[] = [];
    let fresh = 0;
    let echoes = 0;
    for (const name of Object.keys(change.values) as CustomerMasterField[]) {
      const value = change.values[name];
      const f = this.field(name);
      const seen = f.versions[change.source];
      if (seen !== undefined && change.version <= seen) continue;
      fresh += 1;
      f.versions[change.source] = change.version;
      // Our own write to Salesforce coming back (now or late): not a change anybody made.
      if (change.source === 'salesforce' && this.ownership[name] !== 'salesforce' && f.writtenToSalesforce.some((w) => sameValue(w, value))) {
        echoes += 1;
        continue;
      }
      if (change.source === this.ownership[name]) this.ownerReported.add(name);
      if (sameValue(f.held[change.source], value)) continue;
      f.held[change.source] = value;
      fields.push(name);
      const owner = this.ownership[name];
      if (change.source !== owner && !sameValue(value, f.held[owner])) this.raiseConflict(name, change.source, `${change.source}:${change.eventId}`);
    }
    if (fresh === 0 && Object.keys(change.values).length > 0) return undefined;
    this.settleConflicts();
    return { fields, echoes };
  }

  raiseConflict(name: CustomerMasterField, changedBy: MasterSystem, cause: string): void {
    const f = this.field(name);
    if (f.openConflict !== undefined) return; // one Case per open conflict; later values show in it via the query
    const owner = this.ownership[name];
    this.state.conflictSeq = (this.state.conflictSeq ?? this.state.conflicts.length) + 1;
    const key = `customer-conflict.${this.state.customerId}.${name}.${this.state.conflictSeq}`;
    this.state.conflicts.push({
      field: name,
      owner,
      changedBy,
      ownerValue: f.held[owner],
      otherValue: f.held[otherSystem(owner)],
      cause,
      detectedAt: this.now(),
      key,
    });
    f.openConflict = key;
  }

  /** A conflict is over once both systems hold the same value again (the steward aligned them). */
  settleConflicts(): void {
    for (const name of CUSTOMER_MASTER_FIELDS) {
      const f = this.state.fields[name];
      if (f?.openConflict === undefined) continue;
      if (sameValue(f.held.erp, f.held.salesforce)) {
        const conflict = this.state.conflicts.find((c) => c.key === f.openConflict);
        if (conflict) conflict.resolvedAt = this.now();
        delete f.openConflict;
      }
    }
    this.forgetResolvedConflicts();
  }

  /** Open conflicts stay; of the resolved ones only the latest are kept, for the query. */
  private forgetResolvedConflicts(): void {
    const resolved = this.state.conflicts.filter((c) => c.resolvedAt);
    if (resolved.length <= RESOLVED_CONFLICT_MEMORY) return;
    const forget = new Set(resolved.slice(0, resolved.length - RESOLVED_CONFLICT_MEMORY));
    this.state.conflicts = this.state.conflicts.filter((c) => !forget.has(c));
  }

  /** Salesforce accepted these values. */
  wroteSalesforce(values: CustomerMasterValues): void {
    for (const name of Object.keys(values) as CustomerMasterField[]) {
      const f = this.field(name);
      f.held.salesforce = values[name];
      f.writtenToSalesforce.push(values[name]);
      if (f.writtenToSalesforce.length > ECHO_MEMORY) f.writtenToSalesforce.shift();
    }
    this.state.writes.salesforce += 1;
  }

  /** The ERP accepted these values at this version. */
  wroteErp(values: CustomerMasterValues, version: number): void {
    for (const name of Object.keys(values) as CustomerMasterField[]) {
      const f = this.field(name);
      f.held.erp = values[name];
      f.versions.erp = version;
    }
    this.state.erpVersion = version;
    this.state.erpWrittenVersions.push(version);
    if (this.state.erpWrittenVersions.length > 20) this.state.erpWrittenVersions.shift();
    this.state.writes.erp += 1;
  }

  private remember(id: string): void {
    const ids = this.state.recentEventIds;
    ids.push(id);
    this.seenIds.add(id);
    while (ids.length > DEDUP_MEMORY) this.seenIds.delete(ids.shift()!);
  }

  private ignore(eventId: string, source: string | undefined, reason: IgnoredCustomerReason): { changed: CustomerMasterField[] } {
    this.state.ignored.push({ eventId, source, reason });
    if (this.state.ignored.length > 20) this.state.ignored.splice(0, this.state.ignored.length - 20);
    return { changed: [] };
  }
}
