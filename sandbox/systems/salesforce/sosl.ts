import { SfError } from './errors';

/**
 * SOSL as Salesforce parses it: FIND {search query} [IN x FIELDS] [RETURNING Object[(fields [WHERE]
 * [ORDER BY] [LIMIT] [OFFSET])], ...] [WITH SPELL_CORRECTION = b] [LIMIT n], and the search query
 * itself (words, "phrases", * and ? wildcards, AND / OR / AND NOT, parentheses, \-escapes). The
 * text inside an object's parentheses is SOQL and is left to the SOQL parser.
 */

/** One search word or phrase: the tokens it must match in sequence, each a literal or a wildcard pattern. */
export interface SearchTerm {
  op: 'term';
  tokens: (string | RegExp)[];
  /** All-digit tokens joined, so a phone number written with separators still finds the number. */
  digits?: string;
}
export type SearchExpr = SearchTerm | { op: 'and' | 'or'; items: SearchExpr[] } | { op: 'not'; item: SearchExpr };

export type SearchGroup = 'ALL' | 'NAME' | 'EMAIL' | 'PHONE' | 'SIDEBAR';
export const SEARCH_GROUPS: SearchGroup[] = ['ALL', 'NAME', 'EMAIL', 'PHONE', 'SIDEBAR'];

/** An object of the RETURNING clause: its SOQL field list and the SOQL after it (WHERE, ORDER BY, LIMIT, OFFSET). */
export interface ReturningSpec {
  object: string;
  fields: string;
  tail: string;
}

export interface SoslQuery {
  search: SearchExpr;
  group: SearchGroup;
  returning?: ReturningSpec[];
  limit?: number;
}

export const malformedSearch = (message: string): SfError => new SfError(400, 'MALFORMED_SEARCH', message);

// Reserved characters must be escaped in a search query; * and ? are wildcards, " quotes a phrase, ( ) group.
const RESERVED = new Set(['&', '|', '!', '{', '}', '[', ']', '^', '~', ':', "'", '+', '-']);
const STAR = '\uE000';
const ONE = '\uE001';

/**
 * Words as the search index splits text: runs of letters or of digits (a change from letters to
 * digits starts a new word), lower-cased. Wildcard markers stay inside the word they belong to.
 */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{M}\uE000\uE001]+|[\p{N}\uE000\uE001]+/gu) ?? [];
}

type Text = { kind: 'word' | 'phrase'; text: string; raw: string; col: number };
type Lexeme = Text | { kind: 'open'; col: number } | { kind: 'close'; col: number };

/** Splits a search query; `base` is its column in the whole statement, for error messages. */
function lex(query: string, base: number): Lexeme[] {
  const out: Lexeme[] = [];
  let i = 0;
  const mismatched = (at: number) => malformedSearch(`line 1:${base + at} mismatched character '${query[at]}' expecting '}'`);
  // One character of a word or phrase: an escape yields the literal, a wildcard its marker.
  const char = (at: number): [string, number] => {
    const c = query[at];
    if (c === '\\') {
      if (at + 1 >= query.length) throw malformedSearch(`line 1:${base + at} unexpected end of search query after '\\'`);
      return [query[at + 1], 2];
    }
    if (c === '*') return [STAR, 1];
    if (c === '?') return [ONE, 1];
    if (RESERVED.has(c)) throw mismatched(at);
    return [c, 1];
  };
  while (i < query.length) {
    const c = query[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      out.push({ kind: c === '(' ? 'open' : 'close', col: base + i });
      i++;
    } else if (c === '"') {
      const start = i++;
      let text = '';
      while (i < query.length && query[i] !== '"') {
        const [ch, n] = char(i);
        text += ch;
        i += n;
      }
      if (i >= query.length) throw malformedSearch(`line 1:${base + start} unterminated quoted phrase in search query`);
      i++;
      out.push({ kind: 'phrase', text, raw: query.slice(start, i), col: base + start });
    } else {
      const start = i;
      let text = '';
      while (i < query.length && !/[\s()"]/.test(query[i])) {
        const [ch, n] = char(i);
        text += ch;
        i += n;
      }
      out.push({ kind: 'word', text, raw: query.slice(start, i), col: base + start });
    }
  }
  return out;
}

function term(lexeme: Text): SearchTerm {
  const literal = lexeme.text.replace(/[\uE000\uE001]/g, '');
  if ([...literal.replace(/\s/g, '')].length < 2) throw malformedSearch(`search term must be longer than one character: ${lexeme.raw}`);
  // A wildcard at the start of a word does nothing (Salesforce ignores leading wildcards).
  const tokens = words(lexeme.text)
    .map((w) => w.replace(/^[\uE000\uE001]+/u, ''))
    .filter(Boolean)
    .map((w) => (/[\uE000\uE001]/u.test(w) ? new RegExp(`^${w.replace(/\uE000/gu, '[\\p{L}\\p{M}\\p{N}]*').replace(/\uE001/gu, '[\\p{L}\\p{M}\\p{N}]')}$`, 'u') : w));
  if (tokens.length === 0) throw malformedSearch(`search term must be longer than one character: ${lexeme.raw}`);
  const digits = tokens.every((t) => typeof t === 'string' && /^\p{N}+$/u.test(t)) ? tokens.join('') : undefined;
  return { op: 'term', tokens, ...(digits ? { digits } : {}) };
}

/** The search query inside the braces (or a parameterized search's `q`). */
export function parseSearchQuery(query: string, base = 0): SearchExpr {
  const lexemes = lex(query, base);
  if (lexemes.length === 0) throw malformedSearch('No search term found. The search term must be enclosed in braces.');
  let i = 0;
  const keyword = (word: string, at = i) => {
    const l = lexemes[at];
    return !!l && l.kind === 'word' && l.text.toUpperCase() === word;
  };
  const unexpected = (): SfError => {
    const l = lexemes[i];
    if (!l) return malformedSearch('unexpected end of search query');
    return malformedSearch(`line 1:${l.col} unexpected token in search query: '${'raw' in l ? l.raw : l.kind === 'open' ? '(' : ')'}'`);
  };
  const primary = (): SearchExpr => {
    const l = lexemes[i];
    if (!l || l.kind === 'close' || keyword('AND') || keyword('OR')) throw unexpected();
    i++;
    if (l.kind === 'open') {
      const inner = or();
      if (lexemes[i]?.kind !== 'close') throw unexpected();
      i++;
      return inner;
    }
    return term(l as Text);
  };
  const and = (): SearchExpr => {
    const items = [primary()];
    for (;;) {
      const l = lexemes[i];
      if (!l || l.kind === 'close' || keyword('OR')) break;
      if (keyword('AND')) {
        i++;
        if (keyword('NOT')) {
          i++;
          items.push({ op: 'not', item: primary() });
        } else items.push(primary());
      } else items.push(primary()); // words side by side: AND is the default operator
    }
    return items.length === 1 ? items[0] : { op: 'and', items };
  };
  const or = (): SearchExpr => {
    const items = [and()];
    while (keyword('OR')) {
      i++;
      items.push(and());
    }
    return items.length === 1 ? items[0] : { op: 'or', items };
  };
  const expr = or();
  if (i < lexemes.length) throw unexpected();
  if (expr.op === 'not') throw malformedSearch('a search query cannot consist of AND NOT alone');
  return expr;
}

/** The statement after the closing brace, read word by word; parentheses of RETURNING are taken whole. */
class Tail {
  private i = 0;
  constructor(
    private readonly text: string,
    private readonly base: number,
  ) {}

  private skip(): void {
    while (this.i < this.text.length && /\s/.test(this.text[this.i])) this.i++;
  }
  done(): boolean {
    this.skip();
    return this.i >= this.text.length;
  }
  col(): number {
    this.skip();
    return this.base + this.i;
  }
  peekWord(): string | undefined {
    this.skip();
    return /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.i))?.[0];
  }
  isWord(word: string): boolean {
    return this.peekWord()?.toUpperCase() === word;
  }
  word(): string {
    const w = this.peekWord();
    if (!w) throw this.malformed();
    this.i += w.length;
    return w;
  }
  punct(c: string): boolean {
    this.skip();
    if (this.text[this.i] !== c) return false;
    this.i++;
    return true;
  }
  integer(): number {
    this.skip();
    const n = /^\d+/.exec(this.text.slice(this.i))?.[0];
    if (!n) throw this.malformed();
    this.i += n.length;
    return Number(n);
  }
  malformed(): SfError {
    this.skip();
    const token = /^\S+/.exec(this.text.slice(this.i))?.[0];
    return token ? malformedSearch(`line 1:${this.base + this.i} Malformed search token: ${token}`) : malformedSearch('unexpected end of search statement');
  }
  /** The text up to the matching ')', with SOQL string literals skipped over. */
  parenthesized(): string {
    const start = this.i;
    let depth = 1;
    for (; this.i < this.text.length; this.i++) {
      const c = this.text[this.i];
      if (c === "'") {
        for (this.i++; this.i < this.text.length && this.text[this.i] !== "'"; this.i++) if (this.text[this.i] === '\\') this.i++;
      } else if (c === '(') depth++;
      else if (c === ')' && --depth === 0) return this.text.slice(start, this.i++);
    }
    throw malformedSearch(`line 1:${this.base + start - 1} missing ')' in RETURNING clause`);
  }
}

/** Splits `Name, Email WHERE ... LIMIT 5` into the field list and the SOQL clauses after it. */
function splitReturning(object: string, body: string, col: number): ReturningSpec {
  const masked = body.replace(/'(?:\\.|[^'\\])*'/g, (s) => ' '.repeat(s.length));
  const clause = /\b(where|order\s+by|limit|offset)\b/i.exec(masked);
  const fields = (clause ? body.slice(0, clause.index) : body).trim();
  if (!fields) throw malformedSearch(`line 1:${col} unexpected token: '${clause ? clause[0] : ')'}', expected a field list for ${object}`);
  return { object, fields, tail: clause ? body.slice(clause.index) : '' };
}

export function parseSosl(sosl: string): SoslQuery {
  const head = /^\s*find\s*/i.exec(sosl);
  if (!head) throw malformedSearch(`line 1:${sosl.length - sosl.trimStart().length} unexpected token: '${sosl.trim().split(/\s+/)[0] ?? ''}', expected FIND`);
  const open = head[0].length;
  if (sosl[open] !== '{') throw malformedSearch('No search term found. The search term must be enclosed in braces.');
  let close = open + 1;
  while (close < sosl.length && sosl[close] !== '}') close += sosl[close] === '\\' ? 2 : 1;
  if (close >= sosl.length) throw malformedSearch('No search term found. The search term must be enclosed in braces.');
  const search = parseSearchQuery(sosl.slice(open + 1, close), open + 1);

  const tail = new Tail(sosl.slice(close + 1), close + 1);
  const query: SoslQuery = { search, group: 'ALL' };
  if (tail.isWord('IN')) {
    tail.word();
    const group = tail.peekWord()?.toUpperCase() as SearchGroup | undefined;
    if (!group || !SEARCH_GROUPS.includes(group)) throw tail.malformed();
    tail.word();
    if (!tail.isWord('FIELDS')) throw tail.malformed();
    tail.word();
    query.group = group;
  }
  if (tail.isWord('RETURNING')) {
    tail.word();
    query.returning = [];
    do {
      const col = tail.col();
      const object = tail.word();
      query.returning.push(tail.punct('(') ? splitReturning(object, tail.parenthesized(), col) : { object, fields: 'Id', tail: '' });
    } while (tail.punct(','));
  }
  while (tail.isWord('WITH')) {
    tail.word();
    // Spelling correction changes nothing against exact sandbox data, so it is accepted and ignored.
    if (!tail.isWord('SPELL_CORRECTION')) throw tail.malformed();
    tail.word();
    if (!tail.punct('=')) throw tail.malformed();
    if (!tail.isWord('TRUE') && !tail.isWord('FALSE')) throw tail.malformed();
    tail.word();
  }
  if (tail.isWord('LIMIT')) {
    tail.word();
    query.limit = tail.integer();
  }
  if (!tail.done()) throw tail.malformed();
  return query;
}
