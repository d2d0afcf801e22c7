import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { developmentCodecKeysPath } from '../../config/codec';
import { newCodecKey } from '../../temporal/payload-codec';

/**
 * The development payload key `npm start` shares with the worker, the API, retailctl and the codec
 * server: made once into the ignored state folder (mode 0600), reused afterwards, never printed.
 */
export function ensureDevelopmentCodecKeys(stateDir: string): { path: string; created: boolean } {
  const path = developmentCodecKeysPath(stateDir);
  try {
    if (readFileSync(path, 'utf8').trim()) return { path, created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, `${JSON.stringify([newCodecKey('dev-1')], null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Two starts racing keep the first key.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { path, created: false };
    throw err;
  }
  return { path, created: true };
}
