import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testEnvTimeoutMs, uniqueName } from '../helpers/temporal';
import { cliFixture, isOneLineError, runCli, type CliFixture, type CliResult } from './cli-harness';

/** retailctl's error contract, as a subprocess: exit 2 for usage, 3 for unknown ids, one line on stderr and never a stack. */
describe('retailctl errors and exit codes', function () {
  this.timeout(60_000);
  let fx: CliFixture;

  before(async function () {
    this.timeout(testEnvTimeoutMs);
    fx = await cliFixture('cli-errors', { workers: false });
  });
  after(async () => {
    await fx?.close();
  });

  const expectExit = (result: CliResult, code: number, what: string) => {
    assert.equal(result.code, code, `${what}: exit ${result.code}, stderr: ${result.stderr}`);
    if (code !== 0) assert.ok(isOneLineError(result), `${what}: one line, no stack; got: ${result.stderr}`);
  };

  it('prints help with the exit codes (0) and answers bad flags, bad JSON and invalid input with exit 2', async () => {
    const [help, unknownOption, missingArgument, missingFields, badLines, badJson, badPolicy, badStatus, badReason, missingFile] = await Promise.all([
      fx.cli('--help'),
      fx.cli('describe', 'x', '--bogus'),
      fx.cli('cancel', 'refund/1'),
      fx.cli('start', 'refund', '--reason', 'other'),
      fx.cli('choose', '1', '--resolution', 'refund', '--agent', 'ana', '--lines', '10:many'),
      fx.cli('signal', 'refund/1', 'refundApproval', '--input', '{not json'),
      fx.cli('start', 'refund', '--case', '1', '--order', 'SO-100013'),
      fx.cli('list', '--status', 'sleeping'),
      fx.cli('start', 'refund', '--reason', 'bored'),
      fx.cli('start', 'refund', '--input', '/nonexistent/refund.json'),
    ]);
    expectExit(help, 0, '--help');
    assert.match(help.stdout, /Exit codes: 0 ok/);
    for (const [result, what] of [
      [unknownOption, 'unknown option'],
      [missingArgument, 'missing --reason'],
      [missingFields, 'missing input fields'],
      [badLines, 'bad --lines'],
      [badJson, 'bad JSON'],
      [badPolicy, 'a fact the caller may not set'],
      [badStatus, 'bad status'],
      [badReason, 'bad reason'],
      [missingFile, 'missing input file'],
    ] as const) {
      expectExit(result, 2, what);
    }
    assert.match(missingFields.stderr, /missing --case \(caseNumber\)/);
    assert.match(badJson.stderr, /--input is not valid JSON/);
    assert.match(badPolicy.stderr, /unknown option '--order'/);
  });

  it('answers unknown workflows and schedules with exit 3', async () => {
    const unknown = uniqueName('refund/none');
    const results = await Promise.all([
      fx.cli('describe', unknown),
      fx.cli('cancel', unknown, '--reason', 'test'),
      fx.cli('terminate', unknown, '--reason', 'test'),
      fx.cli('signal', unknown, 'refundApproval', '--input', '{"decision":"approve","approver":"sam"}'),
      fx.cli('update', unknown, 'approveRefund', '--input', '{"decision":"approve","approver":"sam"}'),
      fx.cli('approve', unknown.replace('refund/', ''), '--approver', 'sam'),
      fx.cli('choose', unknown.replace('refund/', ''), '--resolution', 'refund', '--agent', 'ana'),
      fx.cli('reset', unknown),
      fx.cli('schedules', 'pause', unknown),
      fx.cli('schedules', 'trigger', unknown),
    ]);
    results.forEach((r, i) => expectExit(r, 3, `unknown id, command ${i}`));
    assert.match(results[0].stderr, /no process with workflow id/);
  });

  it('prints the development API key kept in the state folder, and exit 3 when there is none yet', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'retailctl-state-'));
    mkdirSync(join(stateDir, 'api'));
    const key = `rk_dev_test_${'k'.repeat(32)}`;
    writeFileSync(join(stateDir, 'api', 'dev-key'), `${key}\n`, { mode: 0o600 });
    const exposedDir = mkdtempSync(join(tmpdir(), 'retailctl-state-'));
    mkdirSync(join(exposedDir, 'api'));
    writeFileSync(join(exposedDir, 'api', 'dev-key'), `${key}\n`);
    chmodSync(join(exposedDir, 'api', 'dev-key'), 0o644);
    const [found, missing, exposed] = await Promise.all([
      runCli(['dev-key'], { ...fx.cliEnv, RETAIL_STATE_DIR: stateDir }),
      runCli(['dev-key'], { ...fx.cliEnv, RETAIL_STATE_DIR: join(stateDir, 'none') }),
      runCli(['dev-key'], { ...fx.cliEnv, RETAIL_STATE_DIR: exposedDir }),
    ]);
    assert.deepEqual([found.code, found.stdout], [0, `${key}\n`]);
    expectExit(missing, 3, 'no key');
    assert.notEqual(exposed.code, 0, 'a key file others can read is refused');
    assert.ok(isOneLineError(exposed), exposed.stderr);
    assert.match(exposed.stderr, /readable by others \(mode 0644\)/);
  });

  it('says in one line that the server cannot be reached, naming TEMPORAL_ADDRESS; --address overrides the environment', async () => {
    const started = Date.now();
    const [fromEnv, fromFlag, wellQuoted] = await Promise.all([
      runCli(['describe', 'refund/1'], { ...fx.cliEnv, TEMPORAL_ADDRESS: '127.0.0.1:1' }),
      fx.cli('--address', '127.0.0.1:1', 'list', '--json'),
      // A value with quotes and backslashes stays one literal in the visibility query: no match, no syntax error.
      fx.cli('list', '--case', 'x" OR CaseNumber != "\\', '--json'),
    ]);
    for (const result of [fromEnv, fromFlag]) {
      assert.notEqual(result.code, 0);
      assert.ok(isOneLineError(result), result.stderr);
      assert.match(result.stderr, /cannot reach the Temporal server at 127\.0\.0\.1:1 \(set TEMPORAL_ADDRESS or --address\)/);
    }
    assert.ok(Date.now() - started < 15_000, 'a short connect timeout');
    assert.equal(wellQuoted.code, 0, wellQuoted.stderr);
    assert.deepEqual(JSON.parse(wellQuoted.stdout), []);
  });
});
