import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSecretFile } from '../../config/secret-file';

/** Generated keys are 39 characters; a shorter file was not made here. */
const MIN_KEY_LENGTH = 32;

/**
 * The development API key: made once for a loopback-only API with no key configured, kept in the
 * ignored state folder so every `npm start` (and retailctl) uses the same one.
 */
export function developmentKeyPath(stateDir: string): string {
  return join(stateDir, 'api', 'dev-key');
}

/** The stored development key, or undefined when none was made yet; refused when others may read it or it is too short. */
export function readDevelopmentKey(stateDir: string): string | undefined {
  return readSecretFile(developmentKeyPath(stateDir), 'the development API key file', MIN_KEY_LENGTH);
}

/** The stored key, or a new one written with mode 0600; `created` says which. */
export function ensureDevelopmentKey(stateDir: string): { key: string; created: boolean; path: string } {
  const path = developmentKeyPath(stateDir);
  const existing = readDevelopmentKey(stateDir);
  if (existing) return { key: existing, created: false, path };
  mkdirSync(join(stateDir, 'api'), { recursive: true, mode: 0o700 });
  const key = `rk_dev_${randomBytes(24).toString('base64url')}`;
  try {
    // 'wx': two starts racing keep the first key rather than overwrite each other.
    writeFileSync(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { key: readDevelopmentKey(stateDir)!, created: false, path };
    throw err;
  }
  chmodSync(path, 0o600);
  return { key, created: true, path };
}

export { isLoopbackHost } from '../../config/api';
