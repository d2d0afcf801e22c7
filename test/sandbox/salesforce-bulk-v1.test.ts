import assert from 'node:assert/strict';
import { Connection } from 'jsforce';
import type { Sandbox } from '../../sandbox';
import { admin, salesforceSession, startTestSandbox } from '../helpers/sandbox';

type Json = Record<string, unknown>;
interface SaveResult {
  id: string | null;
  success: boolean;
  created: boolean;
  errors: string[];
}
type Failure = Error & { errorCode?: string; name: string };

describe('sandbox: Salesforce Bulk API 1.0', function () {
  this.timeout(30_000);
  let sandbox: Sandbox;
  let url: string;
  let token: string;
  let sfAdmin: ReturnType<typeof admin>;
  const async = () => `${url}/services/async/62.0`;

  const connect = (accessToken = token) => {
    const conn = new Connection({ instanceUrl: url, accessToken, version: '62.0' });
    conn.bulk.pollInterval = 50;
    conn.bulk.pollTimeout = 10_000;
    return conn;
  };
  /** The error a promise, or a jsforce batch (a thenable of its own kind), fails with. */
  const failure = (thenable: { then(onResolved: (value: unknown) => void, onRejected: (err: Failure) => void): unknown }): Promise<Failure> =>
    new Promise((resolve, reject) => {
      thenable.then(() => reject(new Error('expected a failure')), resolve);
    });
  const soql = async (q: string) => (await connect().query<Json>(q)).records;
  /** A raw Bulk 1.0 call, as a client without jsforce makes it. */
  const call = async (method: string, path: string, body?: string, contentType?: string, session: string | null = token) => {
    const res = await fetch(`${async()}${path}`, {
      method,
      headers: { ...(session === null ? {} : { 'x-sfdc-session': session }), ...(contentType ? { 'content-type': contentType } : {}) },
      body,
    });
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  };
  const seed = async (body: Json) => {
    const res = await fetch(`${url}/__sandbox/salesforce/seed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(res.status, 201, await res.text());
  };
  const tag = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
  const waitFor = async <T>(probe: () => Promise<T | undefined>): Promise<T> => {
    for (let i = 0; i < 200; i++) {
      const value = await probe();
      if (value !== undefined) return value;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('condition not reached');
  };

  before(async () => {
    sandbox = await startTestSandbox(['salesforce']);
    url = sandbox.urls.salesforce!;
    sfAdmin = admin(url);
    token = (await salesforceSession(url)).access_token;
  });
  after(async () => {
    await sandbox?.close();
  });

  it('loads inserts with per-row results, failing only the rows Salesforce refuses, and closes the job', async () => {
    const conn = connect();
    let jobId = '';
    const batch = conn.bulk.load('Task', 'insert', [
      // jsforce writes the CSV columns of the first record, so every record names the same fields.
      { Subject: 'bulk1 insert a', Priority: 'High', ActivityDate: '2026-03-01' },
      { Subject: '', Priority: 'Low', ActivityDate: '' },
      { Subject: 'bulk1 insert c', Priority: 'Low', ActivityDate: 'not a date' },
    ]);
    batch.on('queue', (info: { jobId: string }) => (jobId = info.jobId));
    const results = (await batch) as SaveResult[];
    assert.equal(results.length, 3);
    assert.equal(results[0].success, true);
    assert.equal(results[0].created, true);
    assert.match(results[0].id!, /^00T[a-zA-Z0-9]{15}$/);
    assert.deepEqual([results[1].success, results[1].id], [false, null]);
    assert.match(results[1].errors[0], /^REQUIRED_FIELD_MISSING:Required fields are missing: \[Subject\]:Subject --$/);
    assert.equal(results[2].success, false);
    assert.match(results[2].errors[0], /ActivityDate/);
    const rows = await soql("SELECT Id, Priority, ActivityDate FROM Task WHERE Subject LIKE 'bulk1 insert%'");
    assert.deepEqual(rows.map((r) => [r.Id, r.Priority, r.ActivityDate]), [[results[0].id, 'High', '2026-03-01']]);
    const ledger = await sfAdmin.ledger({ kind: 'Task.created', ref: results[0].id! });
    assert.equal(ledger.entries[0]?.data?.bulkJobId, jobId);
    // jsforce closes the job once it has the results; the counts are the batch's.
    const info = await waitFor(async () => {
      const i = await connect().bulk.job(jobId).check();
      return i.state === 'Closed' ? i : undefined;
    });
    assert.equal(info.numberRecordsProcessed, '3');
    assert.equal(info.numberRecordsFailed, '2');
    assert.equal(info.numberBatchesCompleted, '1');
  });

  it('updates, upserts by external id and deletes, row by row', async () => {
    const conn = connect();
    const made = await conn.sobject('Task').create([
      { Subject: 'bulk1 edit 1', Retail_Key__c: 'bulk1:key:1' },
      { Subject: 'bulk1 edit 2', Retail_Key__c: 'bulk1:key:2' },
    ]);
    const [a, b] = made.map((r) => (r as { id: string }).id);

    const updated = (await conn.bulk.load('Task', 'update', [
      { Id: a, Subject: 'bulk1 edit 1 updated' },
      { Id: '00T000000000000AAA', Subject: 'nobody' },
    ])) as SaveResult[];
    assert.deepEqual(updated.map((r) => [r.id, r.success, r.created]), [[a, true, false], [null, false, false]]);
    assert.match(updated[1].errors[0], /^(NOT_FOUND|MALFORMED_ID|ENTITY_IS_DELETED|INVALID_CROSS_REFERENCE_KEY):/);

    const upserted = (await conn.bulk.load('Task', 'upsert', { extIdField: 'Retail_Key__c' }, [
      { Retail_Key__c: 'bulk1:key:2', Subject: 'bulk1 edit 2 upserted' },
      { Retail_Key__c: 'bulk1:key:3', Subject: 'bulk1 edit 3 created' },
      { Subject: 'no key' },
    ])) as SaveResult[];
    assert.deepEqual(upserted.slice(0, 2).map((r) => [r.id === b, r.success, r.created]), [[true, true, false], [false, true, true]]);
    assert.equal(upserted[2].success, false);
    assert.match(upserted[2].errors[0], /^MISSING_ARGUMENT:Retail_Key__c not specified/);
    const subjects = await soql("SELECT Retail_Key__c, Subject FROM Task WHERE Retail_Key__c LIKE 'bulk1:key:%' ORDER BY Retail_Key__c");
    assert.deepEqual(subjects.map((r) => r.Subject), ['bulk1 edit 1 updated', 'bulk1 edit 2 upserted', 'bulk1 edit 3 created']);

    const deleted = (await conn.bulk.load('Task', 'delete', [{ Id: a }, { Id: a }])) as SaveResult[];
    assert.deepEqual(deleted.map((r) => r.success), [true, false]);
    assert.match(deleted[1].errors[0], /^ENTITY_IS_DELETED:/);
    const all = await connect().query<Json>(`SELECT Id, IsDeleted FROM Task WHERE Id = '${a}'`, { scanAll: true });
    assert.deepEqual(all.records.map((r) => r.IsDeleted), [true], 'a delete goes to the recycle bin');

    const hard = (await conn.bulk.load('Task', 'hardDelete', [{ Id: b }])) as SaveResult[];
    assert.equal(hard[0].success, true);
    assert.equal((await connect().query<Json>(`SELECT Id FROM Task WHERE Id = '${b}'`, { scanAll: true })).totalSize, 0, 'a hard delete skips the recycle bin');
  });

  it('processes a batch asynchronously: Queued, then InProgress, then Completed, and lists it in its job', async () => {
    const conn = connect();
    const job = conn.bulk.createJob('Task', 'insert');
    const batch = job.createBatch();
    const queued = new Promise<{ id: string; state: string }>((resolve) => batch.on('queue', resolve));
    batch.execute([{ Subject: 'bulk1 polled' }]);
    const info = await queued;
    assert.equal(info.state, 'Queued');
    assert.equal((await batch.check()).state, 'Queued', 'nothing is processed the moment a batch is added');
    assert.equal((await soql("SELECT Id FROM Task WHERE Subject = 'bulk1 polled'")).length, 0);
    const seen = new Set<string>();
    const inProgress = (i: { state: string }) => seen.add(i.state);
    batch.on('inProgress', inProgress);
    batch.poll(20, 10_000);
    const results = (await batch) as SaveResult[];
    assert.ok(seen.has('InProgress'), `states seen while polling: ${[...seen].join(', ')}`);
    assert.equal(results[0].success, true);
    const list = await job.list();
    assert.deepEqual(list.map((b) => [b.id, b.state, b.numberRecordsProcessed]), [[info.id, 'Completed', '1']]);
    const jobInfo = await job.info();
    assert.equal(jobInfo.state, 'Open', 'a batch completes in an open job');
    const closed = await job.close();
    assert.equal(closed?.state, 'Closed');
  });

  it('refuses a batch for a closed job, and never processes the queued batches of an aborted one', async () => {
    const conn = connect();
    const job = conn.bulk.createJob('Task', 'insert');
    const opened = await job.open();
    await job.close();
    const refused = await failure(conn.bulk.job(opened.id).createBatch().execute([{ Subject: 'bulk1 too late' }]));
    assert.equal(refused.errorCode, 'InvalidJobState');
    assert.match(refused.message, /not open/);

    const other = conn.bulk.createJob('Task', 'insert');
    const batch = other.createBatch();
    const queued = new Promise<{ id: string; jobId: string }>((resolve) => batch.on('queue', resolve));
    batch.execute([{ Subject: 'bulk1 aborted' }]);
    const { id, jobId } = await queued;
    const aborted = await other.abort();
    assert.equal(aborted?.state, 'Aborted');
    const again = conn.bulk.job(jobId).batch(id);
    assert.equal((await again.check()).state, 'NotProcessed');
    const error = await failure(
      new Promise((resolve, reject) => {
        again.on('error', reject);
        again.on('response', resolve);
        again.poll(20, 5_000);
      }),
    );
    assert.equal(error.message, 'Job has been aborted');
    await new Promise((r) => setTimeout(r, 400));
    assert.equal((await soql("SELECT Id FROM Task WHERE Subject = 'bulk1 aborted'")).length, 0);
  });

  it('runs a query job whose batch result is a CSV to fetch, with parent fields as columns', async () => {
    const conn = connect();
    await conn.sobject('Task').create([{ Subject: 'bulk1 query "quoted", one' }, { Subject: 'bulk1 query two' }]);
    const stream = await conn.bulk.query("SELECT Id, Subject, Status FROM Task WHERE Subject LIKE 'bulk1 query%' ORDER BY Subject");
    const rows = (await stream.toArray()) as Json[];
    assert.deepEqual(rows.map((r) => r.Subject), ['bulk1 query "quoted", one', 'bulk1 query two']);
    assert.deepEqual(rows.map((r) => r.Status), ['Not Started', 'Not Started']);
    const none = (await (await conn.bulk.query("SELECT Id FROM Task WHERE Subject = 'bulk1 nothing'")).toArray()) as Json[];
    assert.deepEqual(none, []);
    const cases = (await (await conn.bulk.query('SELECT CaseNumber, Account.Name FROM Case ORDER BY CaseNumber LIMIT 2')).toArray()) as Json[];
    assert.equal(cases.length, 2);
    assert.ok(typeof cases[0]['Account.Name'] === 'string' && cases[0]['Account.Name'] !== '', JSON.stringify(cases[0]));

    const wrongRoot = await failure(conn.bulk.load('Account', 'query', 'SELECT Id FROM Case'));
    assert.match(wrongRoot.message, /^InvalidBatch : Failed to process query: INVALID_TYPE_FOR_OPERATION: The root entity of the requested query \(Case\) does not match the entity of the requested Bulk API Job \(Account\)\.$/);
    const badField = await failure(conn.bulk.load('Case', 'query', 'SELECT Nope__c FROM Case'));
    assert.match(badField.message, /^InvalidBatch : Failed to process query: INVALID_FIELD: No such column 'Nope__c'/);
  });

  it('deletes through Bulk API 1.0 when Query.destroy() passes the bulk threshold', async () => {
    await seed({ object: 'Task', count: 205, fields: { Subject: 'bulk1 destroy {n}' } });
    const mark = await sfAdmin.mark();
    const results = (await connect().sobject('Task').find({ Subject: { $like: 'bulk1 destroy%' } }, 'Id').destroy()) as unknown as SaveResult[];
    assert.equal(results.length, 205);
    assert.ok(results.every((r) => r.success));
    assert.equal((await soql("SELECT Id FROM Task WHERE Subject LIKE 'bulk1 destroy%'")).length, 0);
    const paths = (await sfAdmin.requests(mark)).requests.map((r) => `${r.method} ${r.path.replace(/\/[a-zA-Z0-9]{18}/g, '/{id}')}`);
    assert.ok(paths.includes('POST /services/async/62.0/job/{id}/batch'), paths.join('\n'));
    assert.ok(!paths.some((p) => p.includes('/composite/sobjects')), 'no REST collection deletes');
  });

  it('updates through Bulk API 1.0 when Query.update() passes the bulk threshold', async () => {
    await seed({ object: 'Task', count: 201, fields: { Subject: 'bulk1 mass {n}' } });
    const results = (await connect().sobject('Task').find({ Subject: { $like: 'bulk1 mass%' } }, 'Id, Subject').update({ Priority: 'High' })) as unknown as SaveResult[];
    assert.equal(results.length, 201);
    assert.ok(results.every((r) => r.success && !r.created));
    const high = await soql("SELECT Id FROM Task WHERE Subject LIKE 'bulk1 mass%' AND Priority = 'High'");
    assert.equal(high.length, 201);
  });

  it('fails a whole batch whose CSV names a field the object does not have', async () => {
    const err = await failure(connect().bulk.load('Task', 'insert', 'Subject,Nope__c\nx,y\n'));
    assert.equal(err.message, 'InvalidBatch : Field name not found : Nope__c');
  });

  it('answers errors in the Bulk API dialect: bad sessions, unknown objects, jobs, batches and URLs', async () => {
    const noSession = await call('GET', '/job/750000000000000AAA', undefined, undefined, null);
    assert.equal(noSession.status, 400);
    assert.match(noSession.type, /^application\/xml/);
    assert.match(noSession.text, /<error xmlns="http:\/\/www\.force\.com\/2009\/06\/asyncapi\/dataload"><exceptionCode>InvalidSessionId<\/exceptionCode><exceptionMessage>Invalid session id<\/exceptionMessage><\/error>/);
    // The REST bearer header is not the Bulk API 1.0's session header.
    const bearer = await fetch(`${async()}/job/750000000000000AAA`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(bearer.status, 400);
    assert.match(await bearer.text(), /InvalidSessionId/);

    const badSession = await failure(connect('00D000000000001!nope').bulk.load('Task', 'insert', [{ Subject: 'x' }]));
    assert.equal(badSession.errorCode, 'InvalidSessionId');

    const unknownObject = await failure(connect().bulk.load('Nope__c', 'insert', [{ Name: 'x' }]));
    assert.equal(unknownObject.errorCode, 'InvalidJob');
    assert.equal(unknownObject.message, 'Unable to find object: Nope__c');

    const noJob = await call('GET', '/job/750000000000000AAA');
    assert.equal(noJob.status, 400);
    assert.equal(tag(noJob.text, 'exceptionCode'), 'InvalidJob');

    const upsertWithoutKey = await failure(connect().bulk.load('Task', 'upsert', [{ Subject: 'x' }]));
    assert.equal(upsertWithoutKey.errorCode, 'InvalidJob');
    assert.match(upsertWithoutKey.message, /External ID/);

    const badXml = await call('POST', '/job', '<jobInfo><operation>insert</operation>', 'application/xml');
    assert.equal(tag(badXml.text, 'exceptionCode'), 'InvalidXML');
    const lowerCase = await call('POST', '/job', '<jobInfo xmlns="http://www.force.com/2009/06/asyncapi/dataload"><operation>harddelete</operation><object>Task</object></jobInfo>', 'application/xml');
    assert.equal(tag(lowerCase.text, 'exceptionCode'), 'InvalidJob');

    const created = await call('POST', '/job', '<jobInfo xmlns="http://www.force.com/2009/06/asyncapi/dataload"><operation>insert</operation><object>Task</object><contentType>CSV</contentType></jobInfo>', 'application/xml; charset=UTF-8');
    assert.equal(created.status, 201);
    const jobId = tag(created.text, 'id')!;
    const noBatch = await call('GET', `/job/${jobId}/batch/751000000000000AAA`);
    assert.equal(tag(noBatch.text, 'exceptionCode'), 'InvalidBatch');
    const wrongType = await call('POST', `/job/${jobId}/batch`, '[{"Subject":"x"}]', 'application/json');
    assert.equal(wrongType.status, 400);
    assert.equal(wrongType.type, 'application/json;charset=UTF-8', 'a JSON request hears a JSON error');
    assert.equal((JSON.parse(wrongType.text) as Json).exceptionCode, 'InvalidBatch');
    const batch = await call('POST', `/job/${jobId}/batch`, 'Subject\nbulk1 raw\n', 'text/csv');
    const early = await call('GET', `/job/${jobId}/batch/${tag(batch.text, 'id')!}/result`);
    assert.equal(tag(early.text, 'exceptionMessage'), 'Batch not completed');

    const badUrl = await call('GET', '/jobs');
    assert.equal(tag(badUrl.text, 'exceptionCode'), 'InvalidOperation');
    const noRoute = await call('DELETE', `/job/${jobId}`);
    assert.equal(noRoute.status, 404);
    assert.equal(tag(noRoute.text, 'exceptionCode'), 'InvalidUrl');
  });

  it('speaks JSON for JSON jobs and XML for XML jobs, results included', async () => {
    const job = await call('POST', '/job', JSON.stringify({ operation: 'insert', object: 'Task', contentType: 'JSON' }), 'application/json');
    assert.equal(job.status, 201);
    const info = JSON.parse(job.text) as Json;
    assert.deepEqual([info.state, info.contentType, info.numberBatchesTotal, info.apiVersion], ['Open', 'JSON', 0, 62]);
    const batch = JSON.parse((await call('POST', `/job/${String(info.id)}/batch`, JSON.stringify([{ Subject: 'bulk1 json', Priority: null }, { Subject: 'x', Nope__c: 1 }]), 'application/json')).text) as Json;
    assert.equal(batch.state, 'Queued');
    await waitFor(async () => ((JSON.parse((await call('GET', `/job/${String(info.id)}/batch/${String(batch.id)}`)).text) as Json).state === 'Completed' ? true : undefined));
    const results = JSON.parse((await call('GET', `/job/${String(info.id)}/batch/${String(batch.id)}/result`)).text) as Json[];
    assert.equal(results[0].success, true);
    assert.equal(results[0].created, true);
    assert.deepEqual(results[1], { success: false, created: false, id: null, errors: [{ statusCode: 'INVALID_FIELD', message: "No such column 'Nope__c' on sobject of type Task", fields: ['Nope__c'] }] });

    const xmlJob = await call('POST', '/job', '<?xml version="1.0" encoding="UTF-8"?><jobInfo xmlns="http://www.force.com/2009/06/asyncapi/dataload"><operation>insert</operation><object>Task</object><contentType>XML</contentType></jobInfo>', 'application/xml');
    const xmlJobId = tag(xmlJob.text, 'id')!;
    const xmlBatch = await call(
      'POST',
      `/job/${xmlJobId}/batch`,
      '<?xml version="1.0" encoding="UTF-8"?><sObjects xmlns="http://www.force.com/2009/06/asyncapi/dataload" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><sObject><Subject>bulk1 xml &amp; co</Subject><ActivityDate xsi:nil="true"/></sObject><sObject><Priority>High</Priority></sObject></sObjects>',
      'application/xml',
    );
    assert.equal(xmlBatch.status, 201);
    const xmlBatchId = tag(xmlBatch.text, 'id')!;
    await waitFor(async () => (tag((await call('GET', `/job/${xmlJobId}/batch/${xmlBatchId}`)).text, 'state') === 'Completed' ? true : undefined));
    const xmlResults = (await call('GET', `/job/${xmlJobId}/batch/${xmlBatchId}/result`)).text;
    assert.match(xmlResults, /^<\?xml version="1\.0" encoding="UTF-8"\?><results xmlns="http:\/\/www\.force\.com\/2009\/06\/asyncapi\/dataload"><result><id>00T[a-zA-Z0-9]{15}<\/id><success>true<\/success><created>true<\/created><\/result><result><errors><fields>Subject<\/fields><message>Required fields are missing: \[Subject\]<\/message><statusCode>REQUIRED_FIELD_MISSING<\/statusCode><\/errors><success>false<\/success><created>false<\/created><\/result><\/results>$/);
    assert.equal((await soql("SELECT Id FROM Task WHERE Subject = 'bulk1 xml & co'")).length, 1);
    const malformed = await call('POST', `/job/${xmlJobId}/batch`, '<sObjects><sObject></sObjects>', 'application/xml');
    assert.equal(tag(malformed.text, 'exceptionCode'), 'InvalidXML');
  });

  it('lets jsforce refresh an expired session on the InvalidSessionId it answers', async () => {
    const conn = new Connection({ oauth2: { loginUrl: url, clientId: 'retail-orchestrator', clientSecret: 'sandbox-client-secret' }, version: '62.0' });
    await conn.login('integration@retail.example', 'sandbox-password');
    conn.bulk.pollInterval = 50;
    const before = conn.accessToken;
    await fetch(`${url}/__sandbox/salesforce/expire-tokens`, { method: 'POST' });
    const results = (await conn.bulk.load('Task', 'insert', [{ Subject: 'bulk1 after refresh' }])) as SaveResult[];
    assert.equal(results[0].success, true);
    assert.notEqual(conn.accessToken, before);
    token = (await salesforceSession(url)).access_token;
  });
});
