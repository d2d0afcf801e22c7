import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * One system's persisted state: its records, its ledger of side effects and its saved
 * idempotent responses, kept in one JSON file so a restart of the sandbox keeps everything.
 */
export interface LedgerEntry {
  seq: number;
  at: string;
  /** What happened, e.g. "refund.created", "creditMemo.posted". */
  kind: string;
  /** The record it happened to. */
  ref: string;
  idempotencyKey?: string;
  data?: Record<string, unknown>;
}

export interface SavedResponse {
  fingerprint: string;
  status?: number;
  body?: unknown;
  inFlight: boolean;
  at: string;
}

export interface Persisted<S> {
  data: S;
  ledger: LedgerEntry[];
  idempotency: Record<string, SavedResponse>;
  seq: number;
}

const WRITE_DELAY_MS = 25;

export class JsonStore<S> {
  private current: Persisted<S>;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly file: string | undefined,
    private readonly seed: () => S,
  ) {
    this.current = this.load();
  }

  get data(): S {
    return this.current.data;
  }

  get ledger(): LedgerEntry[] {
    return this.current.ledger;
  }

  get idempotency(): Record<string, SavedResponse> {
    return this.current.idempotency;
  }

  nextSeq(): number {
    this.current.seq += 1;
    return this.current.seq;
  }

  record(entry: Omit<LedgerEntry, 'seq' | 'at'>): LedgerEntry {
    const full: LedgerEntry = { seq: this.nextSeq(), at: new Date().toISOString(), ...entry };
    this.current.ledger.push(full);
    this.changed();
    return full;
  }

  /** Marks the state dirty; the file is rewritten shortly after, atomically. */
  changed(): void {
    if (!this.file || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, WRITE_DELAY_MS);
    this.timer.unref();
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.current));
    renameSync(tmp, this.file);
  }

  reset(): void {
    this.current = this.fresh();
    this.changed();
  }

  private fresh(): Persisted<S> {
    return { data: this.seed(), ledger: [], idempotency: {}, seq: 0 };
  }

  private load(): Persisted<S> {
    if (this.file && existsSync(this.file)) {
      return JSON.parse(readFileSync(this.file, 'utf8')) as Persisted<S>;
    }
    const fresh = this.fresh();
    return fresh;
  }
}
