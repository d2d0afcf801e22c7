import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import * as workflows from '../../src/workflows';
import { testDataConverter } from '../helpers/codec';
import { getWorkflowBundle } from '../helpers/temporal';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';

/**
 * Every stored history must replay against today's workflow code: a change that would break
 * running workflows (reordered or removed activities, timers, signals) fails here with a
 * DeterminismViolationError. Re-record with `tsx scripts/record-history.ts <type>` only for a
 * deliberate change that is made safe with patched()/versioning.
 */
interface StoredHistory {
  workflowType: string;
  workflowId: string;
  history: unknown;
}

const dir = join(__dirname, 'histories');
const stored: (StoredHistory & { file: string })[] = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((file) => ({ file, ...(JSON.parse(readFileSync(join(dir, file), 'utf8')) as StoredHistory) }));

describe('replay of stored histories', function () {
  this.timeout(60_000);

  it('has a stored history for every workflow type', () => {
    const recorded = new Set(stored.map((h) => h.workflowType));
    const missing = Object.keys(workflows).filter((type) => !recorded.has(type));
    assert.deepEqual(missing, [], `record one with: tsx scripts/record-history.ts ${missing.join(' ')}`);
  });

  for (const { file, workflowType, workflowId, history } of stored) {
    it(`replays ${file} (${workflowType})`, async () => {
      const workflowBundle = await getWorkflowBundle();
      await Worker.runReplayHistory({ workflowBundle, dataConverter: testDataConverter }, historyFromJSON(history), workflowId);
    });
  }
});
