import { TestWorkflowEnvironment } from '@temporalio/testing';
import { TypedSearchAttributes } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { resolveTestServer } from '../../scripts/test-server';
import { searchAttributes } from '../../temporal-config/search-attributes';
import { testDataConverter } from './codec';
import { getWorkflowBundle } from './temporal';

/**
 * One time-skipping test server (the Java SDK's, provisioned by scripts/test-server.ts) for the whole
 * mocha run, started on first use beside the dev server of ./temporal.ts; root-hooks.ts stops it.
 * Time skips only while a test awaits a workflow's result or env.sleep(), and it is global to the
 * server: suites using it run one test at a time, as mocha does.
 */
let env: Promise<TestWorkflowEnvironment> | undefined;

/** A `before` hook that calls getTimeSkippingEnv() allows this long: the first run fetches the jars with Maven. */
export const timeSkippingEnvTimeoutMs = 300_000;

export function getTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  env ??= createTimeSkippingEnv();
  return env;
}

async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  await getWorkflowBundle(); // installs the quiet Runtime before the SDK creates its own
  const path = await resolveTestServer({ log: (line) => console.log(`[test-server] ${line}`) });
  const start = () => TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } }, client: { dataConverter: testDataConverter } });
  // The SDK gives the JVM 5 s to answer; on a loaded machine a second start (classes now in the page cache) is the remedy.
  const started = await start().catch(() => start());
  // Workflows upsert the project's search attributes; the test server refuses names it does not know.
  await started.connection.operatorService.addSearchAttributes({
    namespace: started.namespace ?? 'default',
    searchAttributes: Object.fromEntries(searchAttributes.map(({ name, type }) => [name, indexedValueType(TypedSearchAttributes.toMetadataType(type))])),
  });
  return started;
}

/** "Keyword" → INDEXED_VALUE_TYPE_KEYWORD, as the operator service takes it. */
function indexedValueType(metadataType: string): temporal.api.enums.v1.IndexedValueType {
  const name = `INDEXED_VALUE_TYPE_${metadataType.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}` as keyof typeof temporal.api.enums.v1.IndexedValueType;
  return temporal.api.enums.v1.IndexedValueType[name];
}

export async function teardownTimeSkippingEnv(): Promise<void> {
  if (!env) return;
  const pending = env;
  env = undefined;
  await (await pending.catch(() => undefined))?.teardown();
}
