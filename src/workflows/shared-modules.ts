import { SEMATTRS_EXCEPTION_TYPE } from '@opentelemetry/semantic-conventions';
import { z } from 'zod';

/**
 * Loaded once per workflow thread, before any workflow exists (the bundler's `preloadModules`,
 * src/workers/bundle.ts): the modules evaluated here are shared by every cached workflow instead of
 * being evaluated again into each one's module cache (zod alone was ~0.55 MB per cached workflow).
 * The SDK deep-freezes their exports afterwards, so only stateless libraries belong here:
 * - zod: pure functions and classes; its one lazily cached module value (whether `new Function` is
 *   allowed, for the object fast path) is settled below, before the freeze would make it unwritable.
 *   Its global config and registry are set on the context's global here, so they are shared and frozen
 *   too: nothing in workflow code may call `z.config()` (the registry's maps stay writable).
 * - @opentelemetry/semantic-conventions: string constants only.
 * Never add a module with per-workflow state (a tracer, a context manager, a cache).
 */

// Parses one object so zod settles its cached eval probe now (written once, then read-only).
z.object({ probe: z.string() }).safeParse({ probe: '' });

// The references keep the imports: webpack drops an unused import of a side-effect-free package.
export const sharedModules = { z, semanticConventions: SEMATTRS_EXCEPTION_TYPE };
