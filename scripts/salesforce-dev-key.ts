import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SalesforceDevKey {
  /** PEM private key the worker signs JWT bearer assertions with. */
  keyFile: string;
  /** PEM public key the sandbox's connected app verifies them with. */
  publicKeyFile: string;
}

/**
 * The development key pair `npm start` gives the sandbox's connected app and the worker, so the JWT
 * bearer grant works locally: made once, kept in the ignored state folder (private key mode 0600).
 */
export function ensureSalesforceDevKey(stateDir: string): SalesforceDevKey {
  const dir = join(stateDir, 'salesforce');
  const keys = { keyFile: join(dir, 'jwt-dev.key'), publicKeyFile: join(dir, 'jwt-dev.pub') };
  if (existsSync(keys.keyFile) && existsSync(keys.publicKeyFile)) return keys;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  writeFileSync(keys.keyFile, pair.privateKey, { mode: 0o600 });
  writeFileSync(keys.publicKeyFile, pair.publicKey);
  return keys;
}
