import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { actionStats, billableActions } from '../../bench/lib/actions';

/** Recorded histories, kept apart from test/replay's (which are re-recorded as the workflows change). */
const history = (file: string) => historyFromJSON(JSON.parse(readFileSync(join(__dirname, 'fixtures', file), 'utf8')).history).events ?? [];

describe('billable actions counted from a history', () => {
  it('counts a refund with an approval: start, attempts, upserts, the wait timer, the update, one local-activity task', () => {
    const { total, byKind } = billableActions(history('refund-history.json'));
    assert.deepEqual(byKind, { 'workflow start': 1, 'activity attempt': 16, 'search attribute upsert': 10, 'local activities (per workflow task)': 1, timer: 1, update: 1 });
    assert.equal(total, 30);
  });

  it('does not count a patch marker as a local activity nor its TemporalChangeVersion upsert; counts signals and timers', () => {
    const { total, byKind } = billableActions(history('order-sync-history.json'));
    assert.equal(byKind['local activities (per workflow task)'], undefined, 'the history holds a core_patch marker and no local activity');
    assert.deepEqual([byKind.signal, byKind.timer, byKind['activity attempt'], byKind['search attribute upsert']], [2, 3, 3, 3]);
    assert.equal(total, 12);
  });

  it('summarizes several runs', () => {
    assert.deepEqual(actionStats([10, 12, 11]), { runs: 3, mean: 11, min: 10, max: 12 });
  });
});
