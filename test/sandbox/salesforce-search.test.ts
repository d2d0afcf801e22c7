import assert from 'node:assert/strict';
import { Connection } from 'jsforce';
import type { Sandbox } from '../../sandbox';
import { salesforceSession, startTestSandbox } from '../helpers/sandbox';

type Rec = { attributes: { type: string; url: string }; [field: string]: unknown };

describe('sandbox: Salesforce search (SOSL and parameterized search)', function () {
  this.timeout(20_000);
  let sandbox: Sandbox;
  let url: string;
  let token: string;
  let conn: Connection;
  const ids: Record<string, string> = {};

  const search = async (sosl: string): Promise<Rec[]> => ((await conn.search(sosl)) as unknown as { searchRecords: Rec[] }).searchRecords;
  const refused = async (sosl: string, errorCode: string, message: RegExp) =>
    assert.rejects(conn.search(sosl), (err: Error & { errorCode?: string }) => {
      assert.equal(err.errorCode, errorCode);
      assert.match(err.message, message);
      return true;
    });
  const create = async (type: string, fields: Record<string, unknown>) => {
    const res = await conn.sobject(type).create(fields);
    assert.ok(res.success);
    return res.id;
  };

  before(async () => {
    sandbox = await startTestSandbox(['salesforce']);
    url = sandbox.urls.salesforce!;
    token = (await salesforceSession(url)).access_token;
    conn = new Connection({ instanceUrl: url, accessToken: token, version: '62.0' });
    // Words no seeded record contains, so every expectation below is exact.
    ids.marrowfield = await create('Account', { Name: 'Quillon Marrowfield Trading', Phone: '+1-555-777-0199' });
    ids.harbor = await create('Account', { Name: 'Quillon Harbor Supplies' });
    ids.vantablack = await create('Contact', { FirstName: 'Quillon', LastName: 'Vantablack', Email: 'q.vantablack@quillon-mail.example' });
    ids.abernathy = await create('Contact', { FirstName: 'Quillon', LastName: 'Abernathy', Email: 'qa@orbit.example' });
  });
  after(async () => {
    await sandbox?.close();
  });

  it('finds a record by a word of its name, case-insensitively, answering Ids in searchRecords as jsforce expects', async () => {
    const records = await search('FIND {mArRoWfIeLd}');
    assert.deepEqual(records, [{ attributes: { type: 'Account', url: `/services/data/v62.0/sobjects/Account/${ids.marrowfield}` }, Id: ids.marrowfield }]);
    // A part of a word is not a word: no match without a wildcard.
    assert.deepEqual(await search('FIND {Marrow}'), []);
  });

  it('searches only email fields with IN EMAIL FIELDS and only name fields with IN NAME FIELDS', async () => {
    const byEmail = await search('FIND {q.vantablack@quillon\\-mail.example} IN EMAIL FIELDS RETURNING Contact(Id, Email), Account(Id)');
    assert.deepEqual(byEmail, [{ attributes: { type: 'Contact', url: `/services/data/v62.0/sobjects/Contact/${ids.vantablack}` }, Id: ids.vantablack, Email: 'q.vantablack@quillon-mail.example' }]);
    // "Quillon" is in every account's name but only in one email address.
    const emailOnly = await search('FIND {Quillon} IN EMAIL FIELDS RETURNING Account(Id), Contact(Id)');
    assert.deepEqual(emailOnly.map((r) => r.Id), [ids.vantablack]);
    const names = await search('FIND {Trading} IN NAME FIELDS RETURNING Account(Id), Contact(Id)');
    assert.deepEqual(names.map((r) => r.Id), [ids.marrowfield]);
    assert.deepEqual(await search('FIND {orbit} IN NAME FIELDS RETURNING Contact(Id)'), []);
    assert.deepEqual((await search('FIND {5557770199} IN PHONE FIELDS RETURNING Account(Id)')).map((r) => r.Id), [ids.marrowfield]);
  });

  it('matches * and ? wildcards, quoted phrases, implicit AND, OR and AND NOT', async () => {
    const names = async (sosl: string) => (await search(sosl)).map((r) => r.Name ?? r.LastName).sort();
    assert.deepEqual(await names('FIND {Marrow*} RETURNING Account(Name)'), ['Quillon Marrowfield Trading']);
    assert.deepEqual(await names('FIND {Quill?n} RETURNING Account(Name)'), ['Quillon Harbor Supplies', 'Quillon Marrowfield Trading']);
    assert.deepEqual(await names('FIND {Quil?n} RETURNING Account(Name)'), []);
    assert.deepEqual(await names('FIND {"Quillon Harbor"} RETURNING Account(Name)'), ['Quillon Harbor Supplies']);
    assert.deepEqual(await names('FIND {"Harbor Quillon"} RETURNING Account(Name)'), []);
    assert.deepEqual(await names('FIND {Supplies Quillon} RETURNING Account(Name)'), ['Quillon Harbor Supplies']);
    assert.deepEqual(await names('FIND {Marrowfield OR Vantablack} RETURNING Account(Name), Contact(LastName)'), ['Quillon Marrowfield Trading', 'Vantablack']);
    assert.deepEqual(await names('FIND {Quillon AND NOT (Harbor OR Vantablack)} RETURNING Account(Name), Contact(LastName)'), ['Abernathy', 'Quillon Marrowfield Trading']);
  });

  it('applies RETURNING fields, WHERE, ORDER BY and LIMIT per object, grouped in RETURNING order', async () => {
    const records = await search('FIND {Quillon} RETURNING Contact(FirstName, LastName ORDER BY LastName DESC LIMIT 1), Account(Name, Phone WHERE Phone != null ORDER BY Name)');
    assert.deepEqual(records, [
      { attributes: { type: 'Contact', url: `/services/data/v62.0/sobjects/Contact/${ids.vantablack}` }, FirstName: 'Quillon', LastName: 'Vantablack' },
      { attributes: { type: 'Account', url: `/services/data/v62.0/sobjects/Account/${ids.marrowfield}` }, Name: 'Quillon Marrowfield Trading', Phone: '+1-555-777-0199' },
    ]);
    // An overall LIMIT is shared evenly by objects without their own.
    const limited = await search('FIND {Quillon} RETURNING Account(Id), Contact(Id) LIMIT 2');
    assert.deepEqual(limited.map((r) => r.attributes.type), ['Account', 'Contact']);
  });

  it('without RETURNING answers only the Ids of every searchable object', async () => {
    const records = await search('FIND {Quillon}');
    assert.deepEqual(new Set(records.map((r) => r.Id)), new Set(Object.values(ids)));
    for (const r of records) assert.deepEqual(Object.keys(r), ['attributes', 'Id']);
  });

  it('answers parameterized searches over GET and POST', async () => {
    const get = (await conn.request(`/services/data/v62.0/parameterizedSearch?q=Quillon&sobject=Account&Account.fields=Id,Name&Account.where=${encodeURIComponent("Name LIKE '%Harbor%'")}`)) as { searchRecords: Rec[] };
    assert.deepEqual(get.searchRecords, [{ attributes: { type: 'Account', url: `/services/data/v62.0/sobjects/Account/${ids.harbor}` }, Id: ids.harbor, Name: 'Quillon Harbor Supplies' }]);
    const post = (await conn.request({
      method: 'POST',
      url: '/services/data/v62.0/parameterizedSearch',
      body: JSON.stringify({ q: 'Quillon', in: 'NAME', fields: ['LastName'], sobjects: [{ name: 'Contact', limit: 1 }, { name: 'Account', fields: ['Name'], where: 'Phone = null' }] }),
      headers: { 'content-type': 'application/json' },
    })) as { searchRecords: Rec[] };
    // Equal relevance keeps creation order; the global field list applies where an object names none.
    assert.deepEqual(post.searchRecords.map((r) => [r.attributes.type, r.LastName ?? r.Name]), [['Contact', 'Vantablack'], ['Account', 'Quillon Harbor Supplies']]);
    await assert.rejects(conn.request('/services/data/v62.0/parameterizedSearch?q=Quillon&in=EVERYWHERE'), { errorCode: 'ILLEGAL_QUERY_PARAMETER_VALUE' });
  });

  it('refuses bad SOSL as Salesforce does: MALFORMED_SEARCH, INVALID_TYPE, INVALID_FIELD, 400 with the error array', async () => {
    await refused('FIND {Q}', 'MALFORMED_SEARCH', /search term must be longer than one character/);
    await refused('FIND {Q*} RETURNING Account', 'MALFORMED_SEARCH', /search term must be longer than one character/);
    await refused('FIND Quillon RETURNING Account', 'MALFORMED_SEARCH', /must be enclosed in braces/);
    await refused('FIND {Quillon', 'MALFORMED_SEARCH', /must be enclosed in braces/);
    await refused('FIND {q.vantablack@quillon-mail.example} IN EMAIL FIELDS', 'MALFORMED_SEARCH', /mismatched character '-'/);
    await refused('FIND {Quillon} IN ACCOUNT FIELDS', 'MALFORMED_SEARCH', /Malformed search token: ACCOUNT/);
    await refused('FIND {Quillon} RETURNING Widget__c(Id)', 'INVALID_TYPE', /sObject type 'Widget__c' is not supported/);
    await refused('FIND {Quillon} RETURNING OrderItem(Id)', 'INVALID_TYPE', /does not support search/);
    await refused('FIND {Quillon} RETURNING Account(Nmae)', 'INVALID_FIELD', /No such column 'Nmae' on entity 'Account'/);
    await refused('FIND {Quillon} RETURNING Account(Id WHERE Nmae = null)', 'INVALID_FIELD', /No such column 'Nmae'/);
    await refused('FIND {Quillon} RETURNING Account(COUNT(Id))', 'MALFORMED_SEARCH', /aggregate functions are not supported/);
    await refused('FIND {Quillon} RETURNING Account(Id, (SELECT Id FROM Contacts))', 'MALFORMED_SEARCH', /child relationship queries are not supported/);
    const res = await fetch(`${url}/services/data/v62.0/search?q=${encodeURIComponent('FIND {Q}')}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('content-type'), 'application/json;charset=UTF-8');
    const body = (await res.json()) as { errorCode: string; message: string; fields: string[] }[];
    assert.equal(body.length, 1);
    assert.equal(body[0].errorCode, 'MALFORMED_SEARCH');
  });

  it('finds a record right after it is created, only by its text fields, and no longer once it is deleted', async () => {
    const id = await create('Account', { Name: 'Zorvath Orchards', Credit_Limit__c: 987654 });
    assert.deepEqual((await search('FIND {Zorvath} RETURNING Account(Id)')).map((r) => r.Id), [id]);
    // Numbers are not in the search index.
    assert.deepEqual(await search('FIND {987654} RETURNING Account(Id)'), []);
    await conn.sobject('Account').destroy(id);
    assert.deepEqual(await search('FIND {Zorvath}'), []);
  });

  it('lists the search scope without the objects outside the search index, and search layouts', async () => {
    const scope = (await conn.request('/services/data/v62.0/search/scopeOrder')) as { type: string; url: string }[];
    const types = scope.map((s) => s.type);
    assert.ok(types.includes('Account') && types.includes('Contact'));
    assert.ok(!types.includes('OrderItem') && !types.includes('PricebookEntry'));
    assert.equal(scope.find((s) => s.type === 'Account')!.url, '/services/data/v62.0/sobjects/Account/describe');
    const layouts = (await conn.request('/services/data/v62.0/search/layout?q=Account,Contact')) as { objectType: string; searchColumns: { name: string }[] }[];
    assert.deepEqual(layouts.map((l) => [l.objectType, l.searchColumns.map((c) => c.name)]), [['Account', ['Name']], ['Contact', ['FirstName', 'LastName']]]);
  });
});
