import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseConfig } from './parse';

/**
 * Payload encryption keys. Every payload the product writes to Temporal (inputs, results, signals,
 * updates, queries, memos) is sealed with the newest key; any configured key opens what it sealed,
 * so a rotation is "put the new key first, keep the old ones until no history needs them".
 */
export const CodecKeySchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a key id is 1-64 letters, digits, dots, dashes or underscores'),
  /** 32 random bytes, base64. */
  key: z.string().refine((k) => Buffer.from(k, 'base64').length === 32 && /^[A-Za-z0-9+/]+={0,2}$/.test(k), 'a key is 32 bytes, base64-encoded'),
});
export type CodecKey = z.infer<typeof CodecKeySchema>;

export const CodecKeysSchema = z
  .array(CodecKeySchema)
  .min(1)
  .refine((keys) => new Set(keys.map((k) => k.id)).size === keys.length, 'key ids must be unique');

export const PayloadCodecConfigSchema = z.object({
  /** required: no key is a start-up error; off: payloads stay clear text (say so on purpose). */
  encryption: z.enum(['required', 'off']).default('required'),
  /** Newest first: the first key seals, every key opens. */
  keys: z.array(CodecKeySchema).default([]),
  /** Where the keys came from, for the banner (never the keys themselves). */
  source: z.string().optional(),
  /** Deflate before sealing when it makes the payload smaller. */
  compress: z.boolean().default(true),
});
export type PayloadCodecConfig = z.infer<typeof PayloadCodecConfigSchema>;

type Env = Record<string, string | undefined>;

/** The keys file `npm start` makes for development, also found by retailctl and the codec server. */
export function developmentCodecKeysPath(stateDir: string): string {
  return join(stateDir, 'codec', 'keys.json');
}

/**
 * PAYLOAD_CODEC_KEYS (JSON) or PAYLOAD_CODEC_KEYS_FILE, else the development file when it exists;
 * PAYLOAD_ENCRYPTION=off runs without a codec; PAYLOAD_CODEC_COMPRESS=false turns compression off.
 */
export function payloadCodecInput(env: Env, stateDir: string): Record<string, unknown> {
  const encryption = env.PAYLOAD_ENCRYPTION;
  const compress = env.PAYLOAD_CODEC_COMPRESS === undefined ? undefined : !['0', 'false', 'no', 'off'].includes(env.PAYLOAD_CODEC_COMPRESS.toLowerCase());
  if (encryption === 'off') return { encryption, compress };
  if (env.PAYLOAD_CODEC_KEYS) return { encryption, compress, keys: parseKeys(env.PAYLOAD_CODEC_KEYS, 'PAYLOAD_CODEC_KEYS'), source: 'PAYLOAD_CODEC_KEYS' };
  const file = env.PAYLOAD_CODEC_KEYS_FILE || developmentCodecKeysPath(stateDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !env.PAYLOAD_CODEC_KEYS_FILE) return { encryption, compress };
    throw new Error(`invalid configuration: PAYLOAD_CODEC_KEYS_FILE ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  // Group or world readable keys are refused: the file is the customer data's only lock.
  if ((statSync(file).mode & 0o077) !== 0) throw new Error(`invalid configuration: ${file} must be readable by its owner only (chmod 600 ${file})`);
  return { encryption, compress, keys: parseKeys(text, file), source: file };
}

function parseKeys(text: string, where: string): CodecKey[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`invalid configuration: ${where} is not JSON (expected [{"id":"…","key":"<32 bytes base64>"}], newest first)`);
  }
  const parsed = CodecKeysSchema.safeParse(json);
  if (!parsed.success) throw new Error(`invalid configuration: ${where}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'keys'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

export const CodecServerConfigSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(8088),
  /** The Web UI's origins (CORS). */
  origins: z.array(z.string().url()).default(['http://127.0.0.1:8233', 'http://localhost:8233']),
  token: z.string().min(24, 'CODEC_SERVER_TOKEN must be at least 24 characters').optional(),
});
export type CodecServerConfig = z.infer<typeof CodecServerConfigSchema>;

/** CODEC_SERVER_HOST, CODEC_SERVER_PORT, CODEC_CORS_ORIGINS (comma-separated), CODEC_SERVER_TOKEN. */
export function codecServerConfigFromEnv(env: Env = process.env): CodecServerConfig {
  const input = {
    host: env.CODEC_SERVER_HOST,
    port: env.CODEC_SERVER_PORT,
    origins: env.CODEC_CORS_ORIGINS?.split(',').map((o) => o.trim()).filter(Boolean),
    token: env.CODEC_SERVER_TOKEN || undefined,
  };
  return parseConfig(CodecServerConfigSchema, input, 'codecServer');
}
