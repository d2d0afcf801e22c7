import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSecretFile } from '../../../config/secret-file';

/**
 * The development webhook secret `npm start` shares between the sandbox (which signs) and the API
 * (which verifies): made once, kept in the ignored state folder (mode 0600) like the dev API key.
 */
export function ensureWebhookSecret(stateDir: string): string {
  const path = join(stateDir, 'events', 'webhook-secret');
  const existing = readSecretFile(path, 'the development webhook secret file', 32);
  if (existing) return existing;
  mkdirSync(join(stateDir, 'events'), { recursive: true, mode: 0o700 });
  const secret = `whsec_dev_${randomBytes(24).toString('hex')}`;
  writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'w' });
  chmodSync(path, 0o600);
  return secret;
}
