import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Connection } from 'jsforce';
import type { Sandbox } from '../../sandbox';
import { admin, salesforceSession, startTestSandbox } from '../helpers/sandbox';

type Json = Record<string, unknown>;
interface SubResult {
  body: unknown;
  httpHeaders: Record<string, string>;
  httpStatusCode: number;
  referenceId: string;
}
interface BatchResult {
  hasErrors: boolean;
  results: { statusCode: number; result: unknown }[];
}
interface ApiError extends Error {
  errorCode: string;
  data?: { message?: string };
}

describe('sandbox: Salesforce composite resources', function () {
  this.timeout(30_000);
  let sandbox: Sandbox;
  let url: string;
  let conn: Connection;
  let sfAdmin: ReturnType<typeof admin>;
  const v = '/services/data/v62.0';
  const unique = () => randomUUID().slice(0, 8);

  const post = <T>(path: string, body: unknown) =>
    conn.request<T>({ method: 'POST', url: path, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const composite = async (body: Json) => (await post<{ compositeResponse: SubResult[] }>('/composite', body)).compositeResponse;
  const rows = async (object: string, where: string) => (await conn.query<Json>(`SELECT Id FROM ${object} WHERE ${where}`)).records;
  const refusal = async (promise: Promise<unknown>): Promise<ApiError> => {
    try {
      await promise;
    } catch (err) {
      return err as ApiError;
    }
    assert.fail('expected the request to be refused');
  };

  before(async () => {
    sandbox = await startTestSandbox(['salesforce']);
    url = sandbox.urls.salesforce!;
    sfAdmin = admin(url);
    const token = (await salesforceSession(url)).access_token;
    conn = new Connection({ instanceUrl: url, accessToken: token, version: '62.0' });
  });
  after(async () => {
    await sandbox?.close();
  });

  describe('POST /composite', () => {
    it('runs subrequests in order, each referencing earlier answers (@{ref.id}, @{q.records[0].Id})', async () => {
      const name = `Composite ${unique()}`;
      const results = await composite({
        compositeRequest: [
          { method: 'POST', url: `${v}/sobjects/Account`, referenceId: 'newAccount', body: { Name: name } },
          { method: 'POST', url: `${v}/sobjects/Contact`, referenceId: 'newContact', body: { LastName: 'Referenced', AccountId: '@{newAccount.id}' } },
          { method: 'GET', url: `${v}/query?q=${encodeURIComponent(`SELECT Id, Name FROM Account WHERE Name = '${name}'`)}`, referenceId: 'q' },
          { method: 'PATCH', url: `${v}/sobjects/Account/@{q.records[0].Id}`, referenceId: 'rename', body: { Name: `${name} renamed`, Phone: 'Call @{newContact.id}' } },
          { method: 'GET', url: `${v}/sobjects/Contact/@{newContact.id}?fields=Id,AccountId`, referenceId: 'readBack' },
        ],
      });
      assert.deepEqual(results.map((r) => [r.referenceId, r.httpStatusCode]), [['newAccount', 201], ['newContact', 201], ['q', 200], ['rename', 204], ['readBack', 200]]);
      const accountId = (results[0].body as { id: string }).id;
      const contactId = (results[1].body as { id: string }).id;
      assert.deepEqual(results[0].httpHeaders, { Location: `${v}/sobjects/Account/${accountId}` });
      assert.equal(results[3].body, null);
      assert.deepEqual(results[3].httpHeaders, {});
      assert.equal((results[4].body as Json).AccountId, accountId);
      const account = (await conn.sobject('Account').retrieve(accountId)) as Json;
      assert.equal(account.Name, `${name} renamed`);
      assert.equal(account.Phone, `Call ${contactId}`);
    });

    it('allOrNone: one failure rolls every write back, the others answer PROCESSING_HALTED, nothing reaches the ledger or the change feed', async () => {
      const name = `Rolled back ${unique()}`;
      const eventsBefore = ((await (await fetch(`${url}/__sandbox/pubsub/events?topic=/data/AccountChangeEvent`)).json()) as { count: number }).count;
      const results = await composite({
        allOrNone: true,
        compositeRequest: [
          { method: 'POST', url: `${v}/sobjects/Account`, referenceId: 'account', body: { Name: name } },
          { method: 'POST', url: `${v}/sobjects/Contact`, referenceId: 'contact', body: { LastName: 'Fine', AccountId: '@{account.id}' } },
          { method: 'POST', url: `${v}/sobjects/Contact`, referenceId: 'bad', body: { LastName: 'Broken', Not_A_Field__c: 1 } },
          { method: 'GET', url: `${v}/sobjects/Account/@{account.id}`, referenceId: 'after' },
        ],
      });
      const rolledBack = [{ errorCode: 'PROCESSING_HALTED', message: 'The transaction was rolled back since another operation in the same transaction failed.' }];
      assert.deepEqual(results.map((r) => r.httpStatusCode), [400, 400, 400, 400]);
      assert.deepEqual(results[0].body, rolledBack);
      assert.deepEqual(results[1].body, rolledBack);
      assert.equal((results[2].body as { errorCode: string }[])[0].errorCode, 'INVALID_FIELD');
      assert.deepEqual(results[3].body, rolledBack);
      assert.equal((await rows('Account', `Name = '${name}'`)).length, 0);
      assert.equal((await rows('Contact', `LastName = 'Fine'`)).length, 0);
      const ledger = await sfAdmin.ledger({ kind: 'Account.created' });
      assert.ok(!ledger.entries.some((e) => e.data?.Name === name), 'a rolled-back create is not in the ledger');
      const eventsAfter = ((await (await fetch(`${url}/__sandbox/pubsub/events?topic=/data/AccountChangeEvent`)).json()) as { count: number }).count;
      assert.equal(eventsAfter, eventsBefore);
    });

    it('allOrNone: a successful run commits every write, with its ledger entries and change events', async () => {
      const name = `Committed ${unique()}`;
      const eventsBefore = ((await (await fetch(`${url}/__sandbox/pubsub/events?topic=/data/AccountChangeEvent`)).json()) as { count: number }).count;
      const results = await composite({
        allOrNone: true,
        compositeRequest: [
          { method: 'POST', url: `${v}/sobjects/Account`, referenceId: 'account', body: { Name: name } },
          { method: 'POST', url: `${v}/sobjects/Contact`, referenceId: 'contact', body: { LastName: 'Kept', AccountId: '@{account.id}' } },
        ],
      });
      assert.deepEqual(results.map((r) => r.httpStatusCode), [201, 201]);
      assert.equal((await rows('Account', `Name = '${name}'`)).length, 1);
      const ledger = await sfAdmin.ledger({ ref: (results[0].body as { id: string }).id });
      assert.deepEqual(ledger.entries.map((e) => e.kind), ['Account.created']);
      const eventsAfter = ((await (await fetch(`${url}/__sandbox/pubsub/events?topic=/data/AccountChangeEvent`)).json()) as { count: number }).count;
      assert.equal(eventsAfter, eventsBefore + 1);
    });

    it('without allOrNone: the failed subrequest and those depending on it fail, the rest are committed', async () => {
      const name = `Partial ${unique()}`;
      const results = await composite({
        allOrNone: false,
        compositeRequest: [
          { method: 'POST', url: `${v}/sobjects/Account`, referenceId: 'account', body: { Name: name } },
          { method: 'POST', url: `${v}/sobjects/Contact`, referenceId: 'badContact', body: { AccountId: '@{account.id}' } },
          { method: 'PATCH', url: `${v}/sobjects/Contact/@{badContact.id}`, referenceId: 'dependent', body: { LastName: 'Never' } },
          { method: 'PATCH', url: `${v}/sobjects/Account/@{account.id}`, referenceId: 'independent', body: { Phone: '555-0100' } },
        ],
      });
      assert.deepEqual(results.map((r) => r.httpStatusCode), [201, 400, 400, 204]);
      assert.equal((results[1].body as { errorCode: string }[])[0].errorCode, 'REQUIRED_FIELD_MISSING');
      assert.deepEqual(results[2].body, [{ errorCode: 'PROCESSING_HALTED', message: 'Invalid reference specified. No value for badContact.id found in badContact' }]);
      const [account] = (await conn.query<Json>(`SELECT Id, Phone FROM Account WHERE Name = '${name}'`)).records;
      assert.equal(account.Phone, '555-0100');
    });

    it('counts as one API call and one logged request, however many subrequests it carries', async () => {
      await conn.request(`${v}/limits`);
      const before = conn.limitInfo.apiUsage!.used;
      const mark = await sfAdmin.mark();
      const q = `${v}/query?q=${encodeURIComponent('SELECT Id FROM Account LIMIT 1')}`;
      await composite({ compositeRequest: ['a', 'b', 'c', 'd'].map((referenceId) => ({ method: 'GET', url: q, referenceId })) });
      assert.equal(conn.limitInfo.apiUsage!.used, before + 1);
      const limits = await conn.request<{ DailyApiRequests: { Max: number; Remaining: number } }>(`${v}/limits`);
      assert.equal(limits.DailyApiRequests.Max - limits.DailyApiRequests.Remaining, before + 2);
      const log = await sfAdmin.requests(mark);
      assert.deepEqual(log.requests.map((r) => `${r.method} ${r.path}`), [`POST ${v}/composite`, `GET ${v}/limits`]);
    });

    it('refuses a malformed request as a whole with 400, before anything runs', async () => {
      const account = (i: number) => ({ method: 'POST', url: `${v}/sobjects/Account`, referenceId: `a${i}`, body: { Name: `Never ${i}` } });
      const tooMany = await refusal(composite({ compositeRequest: Array.from({ length: 26 }, (_, i) => account(i)) }));
      assert.equal(tooMany.errorCode, 'LIMIT_EXCEEDED');
      assert.match(tooMany.message, /at most 25 subrequests/);
      assert.equal((await rows('Account', `Name = 'Never 0'`)).length, 0);
      const q = (i: number) => ({ method: 'GET', url: `${v}/query?q=SELECT+Id+FROM+Account`, referenceId: `q${i}` });
      assert.equal((await refusal(composite({ compositeRequest: Array.from({ length: 6 }, (_, i) => q(i)) }))).errorCode, 'LIMIT_EXCEEDED');
      const cases: [Json, string][] = [
        [{ compositeRequest: [account(1), account(1)] }, 'INVALID_FIELD'],
        [{ compositeRequest: [{ ...account(1), referenceId: 'has-dash' }] }, 'INVALID_FIELD'],
        [{ compositeRequest: [{ ...account(1), url: '/services/apexrest/Thing' }] }, 'INVALID_FIELD'],
        [{ compositeRequest: [{ ...account(1), url: `${v}/limits` }] }, 'INVALID_FIELD'],
        [{ compositeRequest: [{ ...account(1), method: 'post' }] }, 'INVALID_FIELD'],
        [{ compositeRequest: [{ ...account(1), httpHeaders: { Authorization: 'Bearer other' } }] }, 'INVALID_FIELD'],
        [{ allOrNone: 'yes', compositeRequest: [account(1)] }, 'JSON_PARSER_ERROR'],
        [{ requests: [account(1)] }, 'JSON_PARSER_ERROR'],
      ];
      for (const [body, code] of cases) assert.equal((await refusal(composite(body))).errorCode, code, JSON.stringify(body));
      assert.equal((await rows('Account', `Name = 'Never 1'`)).length, 0);
    });
  });

  describe('POST /composite/batch', () => {
    it('runs independent subrequests; with haltOnError the ones after a failure answer 412 BATCH_PROCESSING_HALTED', async () => {
      const name = `Batch ${unique()}`;
      const [seeded] = (await conn.query<Json>('SELECT Id, Name FROM Account LIMIT 1')).records;
      const batch = (haltOnError: boolean) =>
        post<BatchResult>('/composite/batch', {
          haltOnError,
          batchRequests: [
            { method: 'GET', url: `v62.0/sobjects/Account/${String(seeded.Id)}?fields=Name` },
            { method: 'PATCH', url: 'v62.0/sobjects/Account/001000000000000AAA', richInput: { Name: 'Nobody' } },
            { method: 'POST', url: 'v62.0/sobjects/Account', richInput: { Name: name } },
          ],
        });
      const halted = await batch(true);
      assert.equal(halted.hasErrors, true);
      assert.deepEqual(halted.results.map((r) => r.statusCode), [200, 404, 412]);
      assert.equal((halted.results[0].result as Json).Name, seeded.Name);
      assert.deepEqual(halted.results[2].result, [{ errorCode: 'BATCH_PROCESSING_HALTED', message: 'Batch processing halted per request' }]);
      assert.equal((await rows('Account', `Name = '${name}'`)).length, 0);

      const before = conn.limitInfo.apiUsage!.used;
      const goesOn = await batch(false);
      assert.deepEqual(goesOn.results.map((r) => r.statusCode), [200, 404, 201]);
      assert.equal((await rows('Account', `Name = '${name}'`)).length, 1);
      // Each batch subrequest is an API call of its own.
      assert.equal(conn.limitInfo.apiUsage!.used - before, 4);
    });

    it('refuses more than 25 subrequests and a subrequest of a later API version', async () => {
      const get = { method: 'GET', url: 'v62.0/limits' };
      assert.equal((await refusal(post('/composite/batch', { batchRequests: Array.from({ length: 26 }, () => get) }))).errorCode, 'LIMIT_EXCEEDED');
      assert.equal((await refusal(post('/composite/batch', { batchRequests: [{ method: 'GET', url: 'v63.0/limits' }] }))).errorCode, 'INVALID_FIELD');
    });
  });

  describe('POST /composite/tree/{SObject}', () => {
    it('creates parents and their children level by level, each child linked to its new parent', async () => {
      const name = `Tree ${unique()}`;
      const res = await post<{ hasErrors: boolean; results: { referenceId: string; id: string }[] }>('/composite/tree/Account', {
        records: [
          {
            attributes: { type: 'Account', referenceId: 'ref1' },
            Name: name,
            Contacts: { records: [{ attributes: { type: 'Contact', referenceId: 'ref2' }, LastName: 'Child One' }, { attributes: { type: 'Contact', referenceId: 'ref3' }, LastName: 'Child Two' }] },
          },
          { attributes: { type: 'Account', referenceId: 'ref4' }, Name: `${name} second` },
        ],
      });
      assert.equal(res.hasErrors, false);
      assert.deepEqual(res.results.map((r) => r.referenceId), ['ref1', 'ref4', 'ref2', 'ref3']);
      const accountId = res.results[0].id;
      assert.match(accountId, /^001/);
      const children = await conn.query<Json>(`SELECT Id, LastName FROM Contact WHERE AccountId = '${accountId}'`);
      assert.deepEqual(children.records.map((c) => c.LastName).sort(), ['Child One', 'Child Two']);
    });

    it('writes nothing when one record fails, and names only that record', async () => {
      const name = `Tree failure ${unique()}`;
      const err = await refusal(
        post('/composite/tree/Account', {
          records: [
            { attributes: { type: 'Account', referenceId: 'ok' }, Name: name, Contacts: { records: [{ attributes: { type: 'Contact', referenceId: 'noLastName' }, FirstName: 'Anon' }] } },
          ],
        }),
      );
      const body = JSON.parse(err.data?.message ?? err.message) as { hasErrors: boolean; results: { referenceId: string; errors: { statusCode: string; fields: string[] }[] }[] };
      assert.equal(body.hasErrors, true);
      assert.deepEqual(body.results.map((r) => [r.referenceId, r.errors[0].statusCode, r.errors[0].fields]), [['noLastName', 'REQUIRED_FIELD_MISSING', ['LastName']]]);
      assert.equal((await rows('Account', `Name = '${name}'`)).length, 0);

      const dup = await refusal(post('/composite/tree/Account', { records: [{ attributes: { type: 'Account', referenceId: 'same' }, Name: 'A' }, { attributes: { type: 'Account', referenceId: 'same' }, Name: 'B' }] }));
      const dupBody = JSON.parse(dup.data?.message ?? dup.message) as { results: { referenceId: string }[] };
      assert.deepEqual(dupBody.results.map((r) => r.referenceId), ['same', 'same']);
      const tooMany = await refusal(post('/composite/tree/Account', { records: Array.from({ length: 201 }, (_, i) => ({ attributes: { type: 'Account', referenceId: `r${i}` }, Name: `Big ${i}` })) }));
      assert.equal(tooMany.errorCode, 'INVALID_INPUT');
      assert.equal((await rows('Account', `Name = 'Big 0'`)).length, 0);
    });
  });
});
