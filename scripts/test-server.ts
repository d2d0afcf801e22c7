import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { isExecutable, onPath, portInUse, projectRoot, ProvisioningError, stopChild, type Log } from './temporal-cli';

/**
 * Temporal's time-skipping test server (the Java SDK's io.temporal:temporal-test-server), for tests
 * that run production-length timers in milliseconds. The SDK would download it; here it comes from
 * Maven Central through `mvn` and runs on the machine's Java (17+):
 *   tsx scripts/test-server.ts install   fetch the jars into .tools/test-server and write its launcher
 *   tsx scripts/test-server.ts path      print the launcher's path (exit 1 if there is none)
 * TEMPORAL_TEST_SERVER_PATH names another launcher (`<it> <port>` must start the server).
 */
export const testServerVersion = '1.38.0';
export const testServerDir = join(projectRoot, '.tools', 'test-server');
export const testServerLauncher = join(testServerDir, 'temporal-test-server');
const pom = join(projectRoot, 'scripts', 'test-server', 'pom.xml');
const mainClass = 'io.temporal.testserver.TestServer';

const defaultLog: Log = (line) => console.log(line);

/** Names the pom the jars came from: a launcher written for another pom is installed again. */
function pomStamp(): string {
  return `pom ${createHash('sha256').update(readFileSync(pom)).digest('hex').slice(0, 12)}`;
}

/** TEMPORAL_TEST_SERVER_PATH, else the launcher `install` wrote from the current pom. */
export function findTestServer(): string | undefined {
  const explicit = process.env.TEMPORAL_TEST_SERVER_PATH;
  if (explicit && isExecutable(explicit)) return explicit;
  if (!isExecutable(testServerLauncher)) return undefined;
  return readFileSync(testServerLauncher, 'utf8').includes(pomStamp()) ? testServerLauncher : undefined;
}

const noTestServerHelp = [
  'No Temporal time-skipping test server. Choose one of:',
  '  1. install Java 17+ and Maven, then run: npx tsx scripts/test-server.ts install;',
  '  2. set TEMPORAL_TEST_SERVER_PATH to a launcher that starts io.temporal.testserver.TestServer on the port given as its first argument.',
].join('\n');

/**
 * The launcher: the jars on an explicit class path (the class-data archive is only valid for the same
 * one), the JIT's first tier and the serial collector (a test server lives seconds, and the SDK gives
 * it 5 s to answer), and the class-data archive written at install, which halves the start.
 */
function launcherScript(jars: string[]): string {
  return `#!/usr/bin/env bash
# Temporal's time-skipping test server ${testServerVersion} (Maven Central, ${pomStamp()}), written by scripts/test-server.ts install.
# Usage: temporal-test-server <port> [--enable-time-skipping]
set -euo pipefail
here="$(cd "$(dirname "\${BASH_SOURCE[0]}")" && pwd -P)"
java="\${JAVA_HOME:+$JAVA_HOME/bin/}java"
opts=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx512m -Xshare:auto)
if [[ -f "$here/classes.jsa" && -z "\${TEST_SERVER_ARCHIVE_AT_EXIT:-}" ]]; then opts+=("-XX:SharedArchiveFile=$here/classes.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off); fi
if [[ -n "\${TEST_SERVER_ARCHIVE_AT_EXIT:-}" ]]; then opts+=("-XX:ArchiveClassesAtExit=$TEST_SERVER_ARCHIVE_AT_EXIT" -Xlog:cds=off -Xlog:cds+dynamic=off); fi
cp=${jars.map((jar) => `"$here/lib/${jar}"`).join(':')}
exec "$java" "\${opts[@]}" -cp "$cp" ${mainClass} "$@"
`;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** Runs the server once with ArchiveClassesAtExit, so later starts map the classes it loaded instead of parsing them. */
async function writeClassArchive(launcher: string, log: Log): Promise<void> {
  const archive = join(testServerDir, 'classes.jsa');
  rmSync(archive, { force: true });
  const port = await freePort();
  const child = spawn(launcher, [String(port)], { env: { ...process.env, TEST_SERVER_ARCHIVE_AT_EXIT: archive }, stdio: 'ignore' });
  const deadline = Date.now() + 60_000;
  while (!(await portInUse('127.0.0.1', port)) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
  const listening = await portInUse('127.0.0.1', port);
  await stopChild(child, 30_000);
  if (listening && existsSync(archive)) log(`class-data archive ${archive} written`);
  else log('no class-data archive (the server still runs, only slower to start)');
}

/** Fetches the pinned test server's jars with Maven into .tools/test-server/lib and writes the launcher. */
export async function installTestServer(log: Log = defaultLog): Promise<string> {
  const mvn = onPath('mvn');
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : onPath('java');
  if (!mvn || !java || !isExecutable(java)) throw new ProvisioningError(`${noTestServerHelp}\n(missing: ${[!mvn && 'mvn', !java && 'java'].filter(Boolean).join(', ')})`);
  const lib = join(testServerDir, 'lib');
  rmSync(lib, { recursive: true, force: true });
  mkdirSync(lib, { recursive: true });
  log(`fetching io.temporal:temporal-test-server:${testServerVersion} and its dependencies with ${mvn} into ${lib}`);
  const started = Date.now();
  const fetched = spawnSync(mvn, ['-B', '-q', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${lib}`, '-DincludeScope=runtime'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const jars = existsSync(lib) ? readdirSync(lib).filter((f) => f.endsWith('.jar')).sort() : [];
  if (fetched.status !== 0 || !jars.some((j) => j.startsWith('temporal-test-server-'))) {
    const tail = `${fetched.stdout ?? ''}${fetched.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    throw new ProvisioningError(`mvn dependency:copy-dependencies for temporal-test-server ${testServerVersion} failed (exit ${fetched.status}); last output:\n${tail}`);
  }
  writeFileSync(testServerLauncher, launcherScript(jars));
  chmodSync(testServerLauncher, 0o755);
  await writeClassArchive(testServerLauncher, log);
  log(`test server ready: ${testServerLauncher} (${jars.length} jars, ${Math.round((Date.now() - started) / 1000)} s)`);
  return testServerLauncher;
}

/** The launcher to run: found, or installed when `install` allows it (the default). */
export async function resolveTestServer(options: { install?: boolean; log?: Log } = {}): Promise<string> {
  const found = findTestServer();
  if (found) return found;
  if (options.install === false) throw new ProvisioningError(noTestServerHelp);
  return installTestServer(options.log);
}

async function cli(command: string | undefined): Promise<void> {
  if (command === 'path') {
    const found = findTestServer();
    if (!found) throw new ProvisioningError(noTestServerHelp);
    console.log(found);
    return;
  }
  if (command === 'install') {
    const found = findTestServer();
    console.log(found ? `${found}  (already installed)` : await installTestServer());
    return;
  }
  throw new ProvisioningError('usage: tsx scripts/test-server.ts install | path');
}

if (require.main === module) {
  cli(process.argv[2]).then(
    () => process.exit(0),
    (err: Error) => {
      console.error(err instanceof ProvisioningError ? err.message : err);
      process.exit(1);
    },
  );
}
