import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { bundleWorkflowCode, type BundleOptions as SdkBundleOptions, type Logger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { z } from 'zod';
import { failureConverterPath } from '../temporal/payload-codec';

/** The folder holding package.json: the same from src/ (tsx) and from a compiled dist/src/. */
function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return from;
  }
}
const projectRoot = findProjectRoot(__dirname);

/** Where `npm run build` leaves the workflow bundle and its sidecar (gitignored with the rest of dist/). */
export const prebuiltBundleDir = join(projectRoot, 'dist', 'workflow-bundle');
const codeFile = 'workflows.js';
const sidecarFile = 'workflows.json';

export interface BundleOptions {
  /** The workflows module (default: src/workflows); tests bundle fixtures of their own. */
  workflowsPath?: string;
  logger?: Logger;
}

/**
 * Which interceptors a bundle holds around every workflow: business measurement unless
 * BUSINESS_TELEMETRY=off, and tracing (spans carried from the client through workflows to activities)
 * only where spans are exported. Tracing gives every cached workflow its own context storage, which on
 * Node 20 costs memory with the square of the cached workflows (docs/performance.md, "Worker memory"),
 * so a worker that exports no spans does not pay for it. Each combination is other code, another build id.
 */
export interface BundleTelemetry {
  business: boolean;
  tracing: boolean;
}
/** The default worker's: business measurement, no span export (OTEL_EXPORTER_OTLP_ENDPOINT unset); what `npm run build` prebuilds. */
export const defaultBundleTelemetry: BundleTelemetry = { business: true, tracing: false };
const tracingInterceptorModule = require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');
const businessInterceptorModule = require.resolve('../workflows/interceptors');
export function workflowInterceptorModules(telemetry: BundleTelemetry): string[] {
  return telemetry.business ? [...(telemetry.tracing ? [tracingInterceptorModule] : []), businessInterceptorModule] : [];
}

/** Stateless libraries evaluated once per workflow thread and shared by every cached workflow (docs/performance.md, "Worker memory"). */
export const preloadModules = [require.resolve('../workflows/shared-modules')];

/**
 * Scope hoisting (webpack's production module concatenation, without minifying): the ES modules of a
 * package or a workflow type run as one scope instead of one function and one exports object of
 * getters each, which every cached workflow would otherwise hold its own copy of. Names are kept, so
 * workflow types, error classes and stack traces read as before.
 */
type WebpackConfiguration = Parameters<NonNullable<SdkBundleOptions['webpackConfigHook']>>[0];
const hoistModules = (config: WebpackConfiguration): WebpackConfiguration => ({
  ...config,
  optimization: { ...config.optimization, providedExports: true, usedExports: true, sideEffects: true, concatenateModules: true, mangleExports: false, minimize: false },
});

/** What else goes into a bundle besides its sources; part of the prebuilt bundle's hash, so changing it makes the bundle stale. */
const recipe = JSON.stringify({
  failureConverterPath: relative(projectRoot, failureConverterPath),
  workflowInterceptorModules: workflowInterceptorModules(defaultBundleTelemetry).map((m) => relative(projectRoot, m)),
  preloadModules: preloadModules.map((m) => relative(projectRoot, m)),
  optimization: hoistModules({}).optimization,
});

/** Bundles the workflow code once per process; every orchestration worker (and every test suite) reuses it. The interceptors in it follow `telemetry`: other code, another build id. */
export function bundleWorkflows(logger?: Logger, workflowsPath = require.resolve('../workflows'), telemetry: BundleTelemetry = defaultBundleTelemetry): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, workflowInterceptorModules: workflowInterceptorModules(telemetry), failureConverterPath, preloadModules, webpackConfigHook: hoistModules, logger });
}

/** What a prebuilt bundle was made from; the worker uses the bundle only while all of it still holds. */
const SidecarSchema = z.object({
  /** sha256 of the bundle's code, so a code file replaced without its sidecar is never trusted. */
  codeSha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The checkout the bundle was built in: its code embeds absolute source paths, so the build id depends on it. */
  projectRoot: z.string().min(1),
  /** sha256 over every project source file in the bundle and the installed version of every package in it. */
  sourcesHash: z.string().regex(/^[0-9a-f]{64}$/),
  files: z.array(z.string().min(1)).min(1),
  /** Package name → its folder (relative to the project) and the version bundled. */
  packages: z.record(z.string(), z.object({ dir: z.string().min(1), version: z.string() })),
  builtAt: z.string(),
});
type Sidecar = z.infer<typeof SidecarSchema>;
type Packages = Sidecar['packages'];

/** The module paths webpack put in the bundle, from the inline source map the SDK's bundler always writes. */
function bundledSources(code: string): string[] {
  const map = /\/\/# sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,([A-Za-z0-9+/=]+)\s*$/.exec(code);
  if (!map) throw new Error('the workflow bundle has no inline source map to list its sources');
  const { sources } = z.object({ sources: z.array(z.string()) }).parse(JSON.parse(Buffer.from(map[1], 'base64').toString('utf8')));
  return sources.filter((s) => isAbsolute(s));
}

/** A package's name and folder from a path inside node_modules ("…/node_modules/@temporalio/common/src/x.ts" → "@temporalio/common"). */
function packageOf(path: string): { name: string; dir: string } | undefined {
  const parts = path.split(sep);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0 || at + 1 >= parts.length) return undefined;
  const scoped = parts[at + 1].startsWith('@');
  const name = scoped ? `${parts[at + 1]}/${parts[at + 2]}` : parts[at + 1];
  return { name, dir: parts.slice(0, at + (scoped ? 3 : 2)).join(sep) };
}

function packageVersion(dir: string): string {
  try {
    return z.object({ version: z.string() }).parse(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))).version;
  } catch {
    return 'missing';
  }
}

/** The bundle's inputs: project files and packages (both relative to the root); the bundler's own version counts too. */
function inputsOf(code: string): { files: string[]; packages: Packages } {
  const files = new Set<string>();
  const packages: Packages = {};
  const bundler = packageOf(require.resolve('@temporalio/worker'));
  for (const source of [...bundledSources(code), ...(bundler ? [join(bundler.dir, 'package.json')] : [])]) {
    const pkg = packageOf(source);
    if (pkg) packages[pkg.name] ??= { dir: relative(projectRoot, pkg.dir), version: packageVersion(pkg.dir) };
    else if (existsSync(source)) files.add(relative(projectRoot, source));
  }
  return { files: [...files].sort(), packages: Object.fromEntries(Object.entries(packages).sort(([a], [b]) => a.localeCompare(b))) };
}

/** Hash of the listed files' current contents and the listed packages' installed versions; undefined when a listed file is gone. */
function sourcesHashOf(files: string[], packages: Packages): string | undefined {
  const hash = createHash('sha256').update(`recipe ${recipe}\n`);
  for (const file of files) {
    const path = resolve(projectRoot, file);
    if (!existsSync(path)) return undefined;
    hash.update(`file ${file}\n`).update(readFileSync(path)).update('\n');
  }
  for (const [name, { dir }] of Object.entries(packages)) hash.update(`package ${name}@${packageVersion(resolve(projectRoot, dir))}\n`);
  return hash.digest('hex');
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** `npm run build`: bundles the workflows and writes the bundle with its sidecar (the sidecar last, so a half-written bundle is never trusted). */
export async function writePrebuiltBundle(dir = prebuiltBundleDir, options: BundleOptions = {}): Promise<{ bundle: WorkflowBundleWithSourceMap; sidecar: Sidecar }> {
  const bundle = await bundleWorkflows(options.logger, options.workflowsPath);
  const { files, packages } = inputsOf(bundle.code);
  const sidecar: Sidecar = { codeSha256: sha256(bundle.code), projectRoot, sourcesHash: sourcesHashOf(files, packages)!, files, packages, builtAt: new Date().toISOString() };
  mkdirSync(dir, { recursive: true });
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, `${name}.tmp`), text);
    renameSync(join(dir, `${name}.tmp`), join(dir, name));
  };
  write(codeFile, bundle.code);
  write(sidecarFile, `${JSON.stringify(sidecar, null, 2)}\n`);
  return { bundle, sidecar };
}

export type PrebuiltBundleCheck = { bundle: WorkflowBundleWithSourceMap } | { missing: true } | { stale: string };

/** The prebuilt bundle when it matches the sources as they are now; otherwise why not. Never throws for a bad bundle. */
export function readPrebuiltBundle(dir = prebuiltBundleDir): PrebuiltBundleCheck {
  if (!existsSync(join(dir, sidecarFile)) || !existsSync(join(dir, codeFile))) return { missing: true };
  let sidecar: Sidecar;
  try {
    sidecar = SidecarSchema.parse(JSON.parse(readFileSync(join(dir, sidecarFile), 'utf8')));
  } catch {
    return { stale: 'its sidecar is unreadable' };
  }
  if (sidecar.projectRoot !== projectRoot) return { stale: `it was built in ${sidecar.projectRoot}` };
  const current = sourcesHashOf(sidecar.files, sidecar.packages);
  if (current === undefined) return { stale: 'a workflow source file it was built from is gone' };
  if (current !== sidecar.sourcesHash) return { stale: 'the workflow sources (or the packages they use) changed since it was built' };
  const code = readFileSync(join(dir, codeFile), 'utf8');
  if (sha256(code) !== sidecar.codeSha256) return { stale: 'its code does not match its sidecar' };
  // The source map is inline in the code; the SDK's separate sourceMap field is unused.
  return { bundle: { code, sourceMap: '' } };
}

/**
 * The orchestration worker's bundle: the prebuilt one when it matches the sources (saves the bundling
 * at start), otherwise bundled now. Either way the same code, so the same build id (versioning.ts).
 */
export async function workflowBundleForWorker(logger: Logger, dir = prebuiltBundleDir, telemetry: BundleTelemetry = defaultBundleTelemetry): Promise<{ bundle: WorkflowBundleWithSourceMap; source: 'prebuilt' | 'bundled at start' }> {
  // The prebuilt bundle carries the default interceptors; with others the code is another one, bundled now.
  if (telemetry.business !== defaultBundleTelemetry.business || telemetry.tracing !== defaultBundleTelemetry.tracing) return { bundle: await bundleWorkflows(logger, undefined, telemetry), source: 'bundled at start' };
  const prebuilt = readPrebuiltBundle(dir);
  if ('bundle' in prebuilt) return { bundle: prebuilt.bundle, source: 'prebuilt' };
  if ('stale' in prebuilt) logger.warn(`ignoring the prebuilt workflow bundle in ${relative(projectRoot, dir) || dir}: ${prebuilt.stale}; bundling at start`);
  return { bundle: await bundleWorkflows(logger), source: 'bundled at start' };
}
