/**
 * Keeps credentials out of logs and banners: fields named like secrets (at any depth), credentials
 * inside URLs (user:password@host, ?api_key=…, &token=…), bearer tokens, and the configured secret
 * values themselves wherever they appear in text (an error message quoting a request, say).
 */
export const SECRET_FIELD = /(secret|password|passwd|token|authorization|api[-_]?key|key[-_]?data|credential|cookie|signature|card(number)?|cvc|pan)$/i;

const MASK = '***';
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:]*):([^\s/?#@]*)@/gi;
const QUERY_SECRET = /([?&;](?:api[-_]?key|apikey|key|token|access_token|refresh_token|client_secret|secret|password|sig|signature)=)[^&;#\s"']+/gi;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g;

const knownSecrets = new Set<string>();

/** Secret values to mask wherever they appear in logged text (shorter ones would mask ordinary words). */
export function rememberSecrets(values: Iterable<string | undefined>): void {
  for (const value of values) if (value && value.length >= 8) knownSecrets.add(value);
}

/** Text with URL credentials, secret query parameters, bearer tokens and known secret values masked. */
export function redactText(text: string): string {
  let out = text.replace(URL_USERINFO, `$1$2:${MASK}@`).replace(QUERY_SECRET, `$1${MASK}`).replace(BEARER, `$1 ${MASK}`);
  for (const secret of knownSecrets) if (out.includes(secret)) out = out.split(secret).join(MASK);
  return out;
}

/** A copy with secret-named fields masked and every string scrubbed, at any depth (cycles cut). */
export function redact(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, seen));
  if (value instanceof Error) return redactText(value.stack ?? `${value.name}: ${value.message}`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_FIELD.test(k) && v !== undefined && v !== null && v !== '' && typeof v !== 'boolean' ? MASK : redact(v, seen);
  }
  return out;
}
