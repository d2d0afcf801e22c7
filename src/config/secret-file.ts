import { readFileSync, statSync } from 'node:fs';

/**
 * A secret kept in a local file (the development API key, the development webhook secret). A reused
 * file must be private to its owner and long enough to be a secret: otherwise start-up refuses it
 * rather than silently trusting a key others could have read or guessed.
 */
export function readSecretFile(path: string, what: string, minLength: number): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const mode = statSync(path).mode & 0o777;
  // Windows has no POSIX modes: the check means nothing there.
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new Error(`${what} ${path} is readable by others (mode ${mode.toString(8).padStart(4, '0')}); it may have leaked: delete it to have a new one made, or run chmod 600 ${path} if you are sure it did not`);
  }
  const secret = text.trim();
  if (!secret) return undefined;
  if (secret.length < minLength) throw new Error(`${what} ${path} is shorter than ${minLength} characters; delete it to have a new one made`);
  return secret;
}
