import assert from 'node:assert/strict';
import { Connection } from 'jsforce';
import type { Sandbox } from '../../sandbox';
import { startTestSandbox } from '../helpers/sandbox';

type Rec = Record<string, unknown> & { Id?: string };
type SubResult = { totalSize: number; done: boolean; records: Rec[] } | null;

const DAY = 86_400_000;
const todayStart = () => Math.floor(Date.now() / DAY) * DAY;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const sorted = (ids: unknown[]) => [...ids].map(String).sort();

describe('sandbox: Salesforce SOQL (date literals, child subqueries, aggregates)', function () {
  this.timeout(30_000);
  let sandbox: Sandbox;
  let conn: Connection;

  const query = async (soql: string, scanAll = false) => conn.query<Rec>(soql, { autoFetch: true, maxFetch: 10_000, scanAll });
  const ids = async (soql: string, scanAll = false) => sorted((await query(soql, scanAll)).records.map((r) => r.Id));
  async function failure(soql: string): Promise<{ errorCode: string; message: string }> {
    try {
      await conn.query(soql);
    } catch (err) {
      return err as { errorCode: string; message: string };
    }
    return assert.fail(`expected the query to fail: ${soql}`);
  }

  before(async () => {
    sandbox = await startTestSandbox(['salesforce']);
    conn = new Connection({ loginUrl: sandbox.urls.salesforce!, version: '62.0' });
    await conn.login('integration@retail.example', 'sandbox-password');
  });
  after(async () => {
    await sandbox?.close();
  });

  describe('date literals', () => {
    let orders: { Id: string; CreatedDate: string; EffectiveDate: string }[];
    before(async () => {
      // The tests compute "today" beside the sandbox: never let a GMT midnight fall between the two.
      const untilMidnight = todayStart() + DAY - Date.now();
      if (untilMidnight < 20_000) await new Promise((resolve) => setTimeout(resolve, untilMidnight + 100));
      orders = (await query('SELECT Id, CreatedDate, EffectiveDate FROM Order')).records as typeof orders;
      assert.ok(orders.length > 100, 'the seed has orders spread over two months');
    });
    const createdIn = (from: number, to: number) => sorted(orders.filter((o) => Date.parse(o.CreatedDate) >= from && Date.parse(o.CreatedDate) < to).map((o) => o.Id));
    const effectiveIn = (from: number, to: number) => sorted(orders.filter((o) => Date.parse(`${o.EffectiveDate}T00:00:00Z`) >= from && Date.parse(`${o.EffectiveDate}T00:00:00Z`) < to).map((o) => o.Id));

    it('answers LAST_N_DAYS:n on a datetime field as today and the n days before it, in GMT', async () => {
      const t = todayStart();
      for (const n of [0, 1, 7, 30]) {
        const expected = createdIn(t - n * DAY, t + DAY);
        assert.deepEqual(await ids(`SELECT Id FROM Order WHERE CreatedDate = LAST_N_DAYS:${n}`), expected, `LAST_N_DAYS:${n}`);
      }
      assert.ok(createdIn(t - 30 * DAY, t + DAY).length < orders.length, 'some orders are older than 30 days');
    });

    it('reads <, <=, >, >= and != against the span, as SOQL defines them', async () => {
      const t = todayStart();
      const start = t - 30 * DAY;
      const end = t + DAY;
      const all = sorted(orders.map((o) => o.Id));
      assert.deepEqual(await ids('SELECT Id FROM Order WHERE CreatedDate < LAST_N_DAYS:30'), createdIn(0, start));
      assert.deepEqual(await ids('SELECT Id FROM Order WHERE CreatedDate <= LAST_N_DAYS:30'), createdIn(0, end));
      assert.deepEqual(await ids('SELECT Id FROM Order WHERE CreatedDate >= LAST_N_DAYS:30'), createdIn(start, Infinity));
      assert.deepEqual(await ids('SELECT Id FROM Order WHERE CreatedDate > LAST_N_DAYS:30'), createdIn(end, Infinity));
      const inside = new Set(createdIn(start, end));
      assert.deepEqual(await ids('SELECT Id FROM Order WHERE CreatedDate != LAST_N_DAYS:30'), all.filter((id) => !inside.has(id)));
      // The probe that used to be refused: TODAY against a datetime field.
      assert.deepEqual(await ids('SELECT Id FROM Order WHERE CreatedDate < TODAY'), createdIn(0, t));
      assert.deepEqual(await ids('SELECT Id FROM Order WHERE CreatedDate = YESTERDAY'), createdIn(t - DAY, t));
    });

    it('applies the same spans to date fields, including weeks (Sunday first), months and N_DAYS_AGO', async () => {
      const t = todayStart();
      const now = new Date(t);
      const week = t - now.getUTCDay() * DAY;
      const month = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
      const lastMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1);
      const nextMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
      const quarter = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (now.getUTCMonth() % 3), 1);
      const cases: [string, number, number][] = [
        ['N_DAYS_AGO:3', t - 3 * DAY, t - 2 * DAY],
        ['THIS_WEEK', week, week + 7 * DAY],
        ['LAST_WEEK', week - 7 * DAY, week],
        ['LAST_N_WEEKS:3', week - 21 * DAY, week],
        ['THIS_MONTH', month, nextMonth],
        ['LAST_MONTH', lastMonth, month],
        ['LAST_N_MONTHS:1', lastMonth, month],
        ['THIS_QUARTER', quarter, Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (now.getUTCMonth() % 3) + 3, 1)],
        ['LAST_90_DAYS', t - 90 * DAY, t + DAY],
        ['THIS_YEAR', Date.UTC(now.getUTCFullYear(), 0, 1), Date.UTC(now.getUTCFullYear() + 1, 0, 1)],
      ];
      for (const [literal, from, to] of cases) {
        assert.deepEqual(await ids(`SELECT Id FROM Order WHERE EffectiveDate = ${literal}`), effectiveIn(from, to), literal);
      }
      assert.ok(effectiveIn(t - 3 * DAY, t - 2 * DAY).length > 0, 'some orders were placed three days ago');
    });

    it('draws each span exactly at GMT midnight, on both sides', async () => {
      const t = todayStart();
      const day = (offset: number) => isoDay(t + offset * DAY);
      const activity: Record<string, string> = { today: day(0), tomorrow: day(1), yesterday: day(-1), d30: day(-30), d31: day(-31), n90: day(90), n91: day(91), n7: day(7) };
      const taskIds: Record<string, string> = {};
      for (const [key, date] of Object.entries(activity)) {
        const res = await conn.sobject('Task').create({ Subject: `soqltest-${key}`, ActivityDate: date });
        taskIds[key] = (res as { id: string }).id;
      }
      const tasks = async (literal: string, op = '=') => {
        const found = await ids(`SELECT Id FROM Task WHERE Subject LIKE 'soqltest-%' AND ActivityDate ${op} ${literal}`);
        return Object.entries(taskIds).filter(([, id]) => found.includes(id)).map(([key]) => key).sort();
      };
      assert.deepEqual(await tasks('LAST_N_DAYS:30'), ['d30', 'today', 'yesterday']);
      assert.deepEqual(await tasks('NEXT_N_DAYS:1'), ['tomorrow']);
      assert.deepEqual(await tasks('NEXT_N_DAYS:7'), ['n7', 'tomorrow']);
      assert.deepEqual(await tasks('NEXT_90_DAYS'), ['n7', 'n90', 'tomorrow']);
      assert.deepEqual(await tasks('TOMORROW'), ['tomorrow']);
      assert.deepEqual(await tasks('N_DAYS_AGO:31'), ['d31']);
      assert.deepEqual(await tasks('LAST_N_DAYS:30', '<'), ['d31']);
      assert.deepEqual(await tasks('TODAY', '>'), ['n7', 'n90', 'n91', 'tomorrow']);

      // A datetime a second either side of midnight.
      const at = (ms: number) => new Date(ms).toISOString();
      const before = await conn.sobject('Pricebook2').create({ Name: 'soqltest-before', Promotion_Start__c: at(t - 1000) });
      const onTheDot = await conn.sobject('Pricebook2').create({ Name: 'soqltest-midnight', Promotion_Start__c: at(t) });
      const found = await ids("SELECT Id FROM Pricebook2 WHERE Name LIKE 'soqltest-%' AND Promotion_Start__c = TODAY");
      assert.deepEqual(found, [(onTheDot as { id: string }).id]);
      const earlier = await ids("SELECT Id FROM Pricebook2 WHERE Name LIKE 'soqltest-%' AND Promotion_Start__c < TODAY");
      assert.deepEqual(earlier, [(before as { id: string }).id]);
    });

    it('refuses a date literal on a non-date field, and malformed literals', async () => {
      const onText = await failure('SELECT Id FROM Account WHERE Name = TODAY');
      assert.equal(onText.errorCode, 'INVALID_FIELD');
      assert.match(onText.message, /value of filter criterion for field 'Name' must be of type string and should be enclosed in quotes/);
      assert.equal((await failure('SELECT Id FROM Order WHERE TotalAmount > LAST_N_DAYS:3')).errorCode, 'INVALID_FIELD');
      for (const bad of ['LAST_N_DAYS:x', 'LAST_N_DAYS', 'LAST_N_DAYS:-2', 'LAST_N_FORTNIGHTS:2', 'TODAY:2', 'THIS_FISCAL_QUARTER']) {
        assert.equal((await failure(`SELECT Id FROM Case WHERE CreatedDate = ${bad}`)).errorCode, 'MALFORMED_QUERY', bad);
      }
      // Plain dates keep their typing: a date on a datetime field is still a type error.
      assert.equal((await failure('SELECT Id FROM Case WHERE CreatedDate = 2026-01-01')).errorCode, 'INVALID_FIELD');
    });
  });

  describe('child relationship subqueries', () => {
    it('lists child relationships in describe', async () => {
      const account = await conn.sobject('Account').describe();
      const rels = (account as unknown as { childRelationships: { relationshipName: string; childSObject: string; field: string }[] }).childRelationships;
      assert.deepEqual(
        rels.find((r) => r.relationshipName === 'Contacts'),
        { ...rels.find((r) => r.relationshipName === 'Contacts'), childSObject: 'Contact', field: 'AccountId' },
      );
      assert.ok(rels.some((r) => r.relationshipName === 'Cases' && r.childSObject === 'Case'));
      const order = (await conn.sobject('Order').describe()) as unknown as { childRelationships: { relationshipName: string }[] };
      assert.ok(order.childRelationships.some((r) => r.relationshipName === 'OrderItems'));
    });

    it('nests each parent’s children as a query result, or null when it has none', async () => {
      const contacts = (await query('SELECT Id, AccountId FROM Contact')).records;
      const accounts = (await query('SELECT Id, Name, (SELECT Id, LastName FROM Contacts) FROM Account')).records;
      assert.ok(accounts.length > 10);
      for (const a of accounts) {
        const expected = sorted(contacts.filter((c) => c.AccountId === a.Id).map((c) => c.Id));
        const sub = a.Contacts as SubResult;
        if (!expected.length) assert.equal(sub, null);
        else {
          assert.equal(sub!.totalSize, expected.length);
          assert.equal(sub!.done, true);
          assert.deepEqual(sorted(sub!.records.map((r) => r.Id)), expected);
          assert.equal((sub!.records[0].attributes as { type: string }).type, 'Contact');
          assert.ok('LastName' in sub!.records[0]);
        }
      }
      const lonely = await conn.sobject('Account').create({ Name: 'soqltest lonely' });
      const [row] = (await query(`SELECT Id, (SELECT Id FROM Contacts), Name FROM Account WHERE Id = '${(lonely as { id: string }).id}'`)).records;
      assert.equal(row.Contacts, null);
      assert.deepEqual(Object.keys(row), ['attributes', 'Id', 'Contacts', 'Name']);
    });

    it('applies WHERE, ORDER BY and LIMIT per parent, and parent fields inside the subquery', async () => {
      const account = (await conn.sobject('Account').create({ Name: 'soqltest family' })) as { id: string };
      for (const last of ['Bravo', 'Alpha', 'Charlie', 'Delta']) await conn.sobject('Contact').create({ LastName: last, AccountId: account.id });
      const [row] = (await query(`SELECT Id, (SELECT LastName, Account.Name FROM Contacts WHERE LastName != 'Delta' ORDER BY LastName DESC LIMIT 2) FROM Account WHERE Id = '${account.id}'`)).records;
      const sub = row.Contacts as NonNullable<SubResult>;
      assert.equal(sub.totalSize, 2);
      assert.deepEqual(sub.records.map((r) => r.LastName), ['Charlie', 'Bravo']);
      assert.equal((sub.records[0].Account as { Name: string }).Name, 'soqltest family');

      // Orders and their items, checked against the items read on their own.
      const items = (await query('SELECT Id, OrderId FROM OrderItem')).records;
      const orders = (await query('SELECT Id, (SELECT Id FROM OrderItems ORDER BY Line_Number__c) FROM Order LIMIT 25')).records;
      for (const o of orders) assert.deepEqual(sorted((o.OrderItems as NonNullable<SubResult>).records.map((r) => r.Id)), sorted(items.filter((i) => i.OrderId === o.Id).map((i) => i.Id)));
    });

    it('keeps subqueries across query locators', async () => {
      const res = await fetch(`${conn.instanceUrl}/services/data/v62.0/query?q=${encodeURIComponent('SELECT Id, (SELECT Id, OrderId FROM OrderItems) FROM Order')}`, {
        headers: { authorization: `Bearer ${conn.accessToken}`, 'sforce-query-options': 'batchSize=200' },
      });
      const first = (await res.json()) as { nextRecordsUrl?: string; records: Rec[] };
      assert.ok(first.nextRecordsUrl);
      const next = await fetch(`${conn.instanceUrl}${first.nextRecordsUrl}`, { headers: { authorization: `Bearer ${conn.accessToken}` } });
      const second = (await next.json()) as { records: Rec[] };
      const sub = second.records[0].OrderItems as NonNullable<SubResult>;
      assert.ok(sub.totalSize > 0);
      assert.ok(sub.records.every((r) => r.OrderId === second.records[0].Id));
    });

    it('leaves deleted children out of query and keeps them in queryAll', async () => {
      const account = (await conn.sobject('Account').create({ Name: 'soqltest bin' })) as { id: string };
      const kept = (await conn.sobject('Contact').create({ LastName: 'Kept', AccountId: account.id })) as { id: string };
      const gone = (await conn.sobject('Contact').create({ LastName: 'Gone', AccountId: account.id })) as { id: string };
      await conn.sobject('Contact').destroy(gone.id);
      const soql = `SELECT Id, (SELECT Id FROM Contacts) FROM Account WHERE Id = '${account.id}'`;
      const live = (await query(soql)).records[0].Contacts as NonNullable<SubResult>;
      assert.deepEqual(live.records.map((r) => r.Id), [kept.id]);
      const all = (await query(soql, true)).records[0].Contacts as NonNullable<SubResult>;
      assert.deepEqual(sorted(all.records.map((r) => r.Id)), sorted([kept.id, gone.id]));
    });

    it('refuses unknown relationships and fields, nested subqueries and aggregates inside them', async () => {
      const unknown = await failure('SELECT Id, (SELECT Id FROM Contact) FROM Account');
      assert.equal(unknown.errorCode, 'INVALID_TYPE');
      assert.match(unknown.message, /Didn't understand relationship 'Contact' in FROM part of query call/);
      // A relationship of another object is no relationship here.
      assert.equal((await failure('SELECT Id, (SELECT Id FROM OrderItems) FROM Account')).errorCode, 'INVALID_TYPE');
      assert.equal((await failure('SELECT Id, (SELECT Nope__c FROM Contacts) FROM Account')).errorCode, 'INVALID_FIELD');
      assert.equal((await failure('SELECT Id, (SELECT Id, (SELECT Id FROM Cases) FROM Contacts) FROM Account')).errorCode, 'MALFORMED_QUERY');
      assert.equal((await failure('SELECT Id, (SELECT COUNT(Id) FROM Contacts) FROM Account')).errorCode, 'MALFORMED_QUERY');
      assert.equal((await failure('SELECT Id, (SELECT Id FROM Contacts FROM Account')).errorCode, 'MALFORMED_QUERY');
    });
  });

  describe('aggregate queries', () => {
    let cases: Rec[];
    let orders: Rec[];
    before(async () => {
      cases = (await query('SELECT Id, Status, CreatedDate FROM Case')).records;
      orders = (await query('SELECT Id, Region__c, Channel__c, TotalAmount, Account.Name FROM Order')).records;
    });
    const countBy = (rows: Rec[], key: (r: Rec) => string) => rows.reduce<Record<string, number>>((m, r) => ({ ...m, [key(r)]: (m[key(r)] ?? 0) + 1 }), {});

    it('groups with COUNT and an alias, as AggregateResult rows in one batch', async () => {
      const res = await conn.query<Rec>('SELECT Status, COUNT(Id) n FROM Case GROUP BY Status');
      assert.equal(res.done, true);
      assert.equal(res.nextRecordsUrl, undefined);
      const expected = countBy(cases, (r) => String(r.Status));
      assert.equal(res.totalSize, Object.keys(expected).length);
      assert.deepEqual(Object.fromEntries(res.records.map((r) => [r.Status, r.n])), expected);
      assert.deepEqual(res.records[0].attributes, { type: 'AggregateResult' });
      assert.deepEqual(Object.keys(res.records[0]), ['attributes', 'Status', 'n']);
    });

    it('names unaliased aggregates expr0, expr1… counting only the unaliased ones', async () => {
      const [row] = (await conn.query<Rec>('SELECT COUNT(Id), COUNT_DISTINCT(Status) statuses, MIN(CreatedDate), MAX(CreatedDate) FROM Case')).records;
      const stamps = cases.map((c) => String(c.CreatedDate)).sort((a, b) => Date.parse(a) - Date.parse(b));
      assert.deepEqual(row, { attributes: { type: 'AggregateResult' }, expr0: cases.length, statuses: new Set(cases.map((c) => c.Status)).size, expr1: stamps[0], expr2: stamps.at(-1) });
    });

    it('sums and averages, filters groups with HAVING, orders by an aggregate and limits', async () => {
      const byRegion = new Map<string, { n: number; sum: number }>();
      for (const o of orders) {
        const g = byRegion.get(String(o.Region__c)) ?? { n: 0, sum: 0 };
        byRegion.set(String(o.Region__c), { n: g.n + 1, sum: g.sum + Number(o.TotalAmount) });
      }
      const threshold = [...byRegion.values()].map((g) => g.n).sort((a, b) => a - b)[0];
      const expected = [...byRegion.entries()].filter(([, g]) => g.n > threshold).sort((a, b) => b[1].sum - a[1].sum).slice(0, 2);
      assert.ok(expected.length >= 1);
      const res = await conn.query<Rec>(`SELECT Region__c, SUM(TotalAmount) total, AVG(TotalAmount), COUNT(Id) FROM Order GROUP BY Region__c HAVING COUNT(Id) > ${threshold} ORDER BY SUM(TotalAmount) DESC LIMIT 2`);
      assert.deepEqual(res.records.map((r) => r.Region__c), expected.map(([region]) => region));
      res.records.forEach((r, i) => {
        const g = expected[i][1];
        assert.ok(Math.abs(Number(r.total) - g.sum) < 0.005);
        assert.ok(Math.abs(Number(r.expr0) - g.sum / g.n) < 0.005);
        assert.equal(r.expr1, g.n);
      });
    });

    it('groups by several fields and by a parent field', async () => {
      const pairs = countBy(orders, (o) => `${String(o.Region__c)}|${String(o.Channel__c)}`);
      const res = (await query('SELECT Region__c, Channel__c, COUNT(Id) FROM Order GROUP BY Region__c, Channel__c ORDER BY Region__c, Channel__c')).records;
      assert.deepEqual(Object.fromEntries(res.map((r) => [`${String(r.Region__c)}|${String(r.Channel__c)}`, r.expr0])), pairs);
      const keys = res.map((r) => [String(r.Region__c).toLowerCase(), String(r.Channel__c).toLowerCase()] as const);
      const byTuple = (a: readonly [string, string], b: readonly [string, string]) => (a[0] !== b[0] ? (a[0] < b[0] ? -1 : 1) : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);
      assert.deepEqual(keys, [...keys].sort(byTuple));

      const byAccount = countBy(orders, (o) => String((o.Account as { Name: string } | null)?.Name ?? null));
      const grouped = (await query('SELECT Account.Name, COUNT(Id) n FROM Order GROUP BY Account.Name')).records;
      assert.deepEqual(Object.fromEntries(grouped.map((r) => [String(r.Name), r.n])), byAccount);
    });

    it('answers one row over no records, and keeps COUNT() as a bare total', async () => {
      const [empty] = (await conn.query<Rec>("SELECT COUNT(Id), SUM(TotalAmount) FROM Order WHERE Store_Id__c = 'no-such-store'")).records;
      assert.deepEqual(empty, { attributes: { type: 'AggregateResult' }, expr0: 0, expr1: null });
      const grouped = await conn.query<Rec>("SELECT Status, COUNT(Id) FROM Case WHERE Subject = 'no such subject' GROUP BY Status");
      assert.equal(grouped.totalSize, 0);

      const count = await conn.query("SELECT COUNT() FROM Case WHERE Status = 'New'");
      assert.equal(count.totalSize, cases.filter((c) => c.Status === 'New').length);
      assert.deepEqual(count.records, []);
    });

    it('counts deleted records in queryAll only', async () => {
      const made = (await conn.sobject('Case').create({ Subject: 'soqltest-aggregate-bin', Status: 'New' })) as { id: string };
      await conn.sobject('Case').create({ Subject: 'soqltest-aggregate-bin', Status: 'New' });
      await conn.sobject('Case').destroy(made.id);
      const soql = "SELECT COUNT(Id) n FROM Case WHERE Subject = 'soqltest-aggregate-bin'";
      assert.equal((await query(soql)).records[0].n, 1);
      assert.equal((await query(soql, true)).records[0].n, 2);
    });

    it('refuses what Salesforce refuses', async () => {
      const ungrouped = await failure('SELECT Subject, COUNT(Id) FROM Case GROUP BY Status');
      assert.equal(ungrouped.errorCode, 'MALFORMED_QUERY');
      assert.match(ungrouped.message, /Field must be grouped or aggregated: Subject/);
      assert.match((await failure('SELECT Status, COUNT(Id) FROM Case')).message, /Field must be grouped or aggregated: Status/);
      assert.match((await failure('SELECT Status, COUNT(Id) FROM Case GROUP BY Status ORDER BY Subject')).message, /Ordered field must be grouped or aggregated: Subject/);
      assert.equal((await failure('SELECT SUM(Subject) FROM Case')).errorCode, 'INVALID_FIELD');
      assert.equal((await failure('SELECT AVG(CreatedDate) FROM Case')).errorCode, 'INVALID_FIELD');
      assert.equal((await failure('SELECT COUNT(Nope__c) FROM Case')).errorCode, 'INVALID_FIELD');
      assert.equal((await failure('SELECT CreatedDate, COUNT(Id) FROM Case GROUP BY CreatedDate')).errorCode, 'INVALID_FIELD');
      assert.equal((await failure('SELECT Id FROM Case WHERE COUNT(Id) > 1')).errorCode, 'MALFORMED_QUERY');
      assert.equal((await failure('SELECT COUNT() FROM Case GROUP BY Status')).errorCode, 'MALFORMED_QUERY');
      assert.equal((await failure('SELECT Status, COUNT(Id) FROM Case GROUP BY Status HAVING COUNT(Id) > \'x\'')).errorCode, 'INVALID_FIELD');
      // Aliases belong to aggregate queries only.
      assert.equal((await failure('SELECT Id x FROM Case')).errorCode, 'MALFORMED_QUERY');
    });
  });

  describe('semi-joins and anti-joins', () => {
    it('keeps the rows whose Id or reference is (IN) or is not (NOT IN) among the ids the subquery selects', async () => {
      const accounts = (await query('SELECT Id, Name FROM Account')).records;
      const contacts = (await query('SELECT Id, LastName, AccountId FROM Contact')).records;
      const orders = (await query('SELECT Id, AccountId FROM Order')).records;
      const withA = new Set(contacts.filter((c) => /^a/i.test(String(c.LastName))).map((c) => c.AccountId));
      const semi = sorted(accounts.filter((a) => withA.has(a.Id)).map((a) => a.Id));
      assert.ok(semi.length > 0 && semi.length < accounts.length, 'the seed has accounts on both sides');
      assert.deepEqual(await ids("SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE LastName LIKE 'A%')"), semi);
      assert.deepEqual(await ids("SELECT Id FROM Account WHERE Id NOT IN (SELECT AccountId FROM Contact WHERE LastName LIKE 'A%')"), sorted(accounts.filter((a) => !withA.has(a.Id)).map((a) => a.Id)));

      const aNamed = new Set<unknown>(accounts.filter((a) => /^a/i.test(String(a.Name))).map((a) => a.Id));
      const anti = sorted(orders.filter((o) => !aNamed.has(o.AccountId)).map((o) => o.Id));
      assert.ok(anti.length > 0 && anti.length < orders.length);
      assert.deepEqual(await ids("SELECT Id FROM Order WHERE AccountId NOT IN (SELECT Id FROM Account WHERE Name LIKE 'A%')"), anti);
      assert.deepEqual(await ids("SELECT Id FROM Order WHERE AccountId IN (SELECT Id FROM Account WHERE Name LIKE 'A%')"), sorted(orders.filter((o) => aNamed.has(o.AccountId)).map((o) => o.Id)));
    });

    it('combines two of them with AND, beside ordinary conditions and in parentheses', async () => {
      const accounts = (await query('SELECT Id, Name FROM Account')).records;
      const withContacts = new Set((await query('SELECT AccountId FROM Contact')).records.map((c) => c.AccountId));
      const withCases = new Set((await query('SELECT AccountId FROM Case')).records.map((c) => c.AccountId));
      const expected = sorted(accounts.filter((a) => withContacts.has(a.Id) && !withCases.has(a.Id) && !/^a/i.test(String(a.Name))).map((a) => a.Id));
      assert.ok(expected.length > 0);
      assert.deepEqual(
        await ids("SELECT Id FROM Account WHERE (NOT Name LIKE 'A%') AND (Id IN (SELECT AccountId FROM Contact) AND Id NOT IN (SELECT AccountId FROM Case))"),
        expected,
      );
      assert.equal((await conn.query("SELECT COUNT() FROM Account WHERE Id IN (SELECT AccountId FROM Contact) AND Id NOT IN (SELECT AccountId FROM Case) AND (NOT Name LIKE 'A%')")).totalSize, expected.length);
    });

    it('leaves deleted rows out of the subquery, under queryAll too', async () => {
      const tag = `Semi${Date.now()}`;
      const account = await conn.sobject('Account').create({ Name: `${tag} Account` });
      const contact = await conn.sobject('Contact').create({ LastName: tag, AccountId: account.id });
      const soql = `SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE LastName = '${tag}')`;
      assert.deepEqual(await ids(soql), [account.id]);
      await conn.sobject('Contact').destroy(contact.id!);
      assert.deepEqual(await ids(soql), []);
      assert.deepEqual(await ids(soql, true), [], 'queryAll: the deleted contact still does not join');
      assert.ok((await ids(`SELECT Id FROM Contact WHERE LastName = '${tag}'`, true)).includes(contact.id!), 'the contact is in the recycle bin');
      assert.deepEqual(await ids(`SELECT Id FROM Account WHERE Name = '${tag} Account' AND Id NOT IN (SELECT AccountId FROM Contact)`), [account.id]);
    });

    it('refuses what Salesforce refuses', async () => {
      const refused = async (soql: string, message: RegExp) => {
        const err = await failure(soql);
        assert.equal(err.errorCode, 'MALFORMED_QUERY', soql);
        assert.match(err.message, message, soql);
      };
      await refused('SELECT Id FROM Account WHERE Id IN (SELECT Id, AccountId FROM Contact)', /exactly one/);
      await refused('SELECT Id FROM Account WHERE Id IN (SELECT LastName FROM Contact)', /Id or a reference field/);
      await refused('SELECT Id FROM Account WHERE Name IN (SELECT AccountId FROM Contact)', /Id or a reference field/);
      await refused('SELECT Id FROM Contact WHERE Account.Id IN (SELECT AccountId FROM Case)', /left operand/);
      await refused('SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact ORDER BY LastName)', /ORDER is not allowed/);
      await refused('SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact LIMIT 5)', /LIMIT is not allowed/);
      await refused('SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact WHERE Id IN (SELECT ContactId FROM Case))', /Nesting/);
      await refused(
        'SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Contact) AND Id IN (SELECT AccountId FROM Case) AND Id NOT IN (SELECT AccountId FROM Order)',
        /Maximum of 2/,
      );
      await refused("SELECT Id FROM Account WHERE Name LIKE 'A%' OR Id IN (SELECT AccountId FROM Contact)", /'OR' operator/);
      await refused("SELECT Id FROM Account WHERE Name LIKE 'A%' AND (Type = 'Customer' OR Id IN (SELECT AccountId FROM Contact))", /top level/);
      await refused('SELECT Id FROM Account WHERE NOT Id IN (SELECT AccountId FROM Contact)', /top level/);
      await refused('SELECT Id FROM Account WHERE Id IN (SELECT Id FROM Account)', /same object type/);
      await refused('SELECT Id, (SELECT Id FROM Contacts WHERE Id IN (SELECT ContactId FROM Case)) FROM Account', /relationship subquery/);
      assert.equal((await failure('SELECT Id FROM Account WHERE Id IN (SELECT AccountId FROM Nope__c)')).errorCode, 'INVALID_TYPE');
    });
  });

  describe('FIELDS()', () => {
    let described: string[];
    before(async () => {
      described = (await conn.sobject('Account').describe()).fields.map((f) => f.name);
    });
    const keys = (r: Rec) => Object.keys(r).filter((k) => k !== 'attributes').sort();

    it('expands STANDARD to the non-custom fields, with or without a LIMIT', async () => {
      const standard = described.filter((n) => !n.endsWith('__c')).sort();
      const all = await query('SELECT FIELDS(STANDARD) FROM Account');
      assert.equal(all.totalSize, (await conn.query('SELECT COUNT() FROM Account')).totalSize);
      for (const r of all.records.slice(0, 5)) assert.deepEqual(keys(r), standard);
    });

    it('expands CUSTOM and ALL under a LIMIT of at most 200, with the values the record has', async () => {
      const custom = described.filter((n) => n.endsWith('__c')).sort();
      const some = await query('SELECT FIELDS(CUSTOM) FROM Account LIMIT 5');
      assert.equal(some.records.length, 5);
      for (const r of some.records) assert.deepEqual(keys(r), custom);
      const [first] = (await query('SELECT Id, FIELDS(ALL) FROM Account ORDER BY Name LIMIT 200')).records;
      assert.deepEqual(keys(first), [...described].sort());
      const whole = (await conn.sobject('Account').retrieve(String(first.Id))) as Rec;
      for (const name of described) assert.deepEqual(first[name], whole[name], name);
    });

    it('expands inside a child subquery against the child object', async () => {
      const contactFields = (await conn.sobject('Contact').describe()).fields.map((f) => f.name).filter((n) => !n.endsWith('__c')).sort();
      const rows = (await query('SELECT Id, (SELECT FIELDS(STANDARD) FROM Contacts) FROM Account WHERE Id IN (SELECT AccountId FROM Contact) LIMIT 3')).records;
      assert.equal(rows.length, 3);
      for (const r of rows) assert.deepEqual(keys((r.Contacts as NonNullable<SubResult>).records[0]), contactFields);
    });

    it('refuses FIELDS(ALL) and FIELDS(CUSTOM) without a LIMIT of at most 200', async () => {
      for (const soql of ['SELECT FIELDS(ALL) FROM Account', 'SELECT FIELDS(CUSTOM) FROM Account LIMIT 201', 'SELECT Id, FIELDS(ALL) FROM Account OFFSET 1']) {
        const err = await failure(soql);
        assert.equal(err.errorCode, 'MALFORMED_QUERY', soql);
        assert.match(err.message, /The SOQL FIELDS function must have a LIMIT of at most 200/, soql);
      }
      assert.equal((await failure('SELECT FIELDS(EVERY) FROM Account LIMIT 1')).errorCode, 'MALFORMED_QUERY');
      assert.equal((await failure('SELECT FIELDS(STANDARD), COUNT(Id) FROM Account')).errorCode, 'MALFORMED_QUERY');
    });
  });

  describe('FOR VIEW, FOR REFERENCE, FOR UPDATE', () => {
    it('accepts them at the end of a query and answers the same rows', async () => {
      const plain = await ids("SELECT Id FROM Account WHERE Name LIKE 'A%'");
      assert.ok(plain.length > 0);
      for (const tail of ['FOR VIEW', 'FOR REFERENCE', 'FOR UPDATE', 'LIMIT 1000 FOR UPDATE']) {
        assert.deepEqual(await ids(`SELECT Id FROM Account WHERE Name LIKE 'A%' ${tail}`), plain, tail);
      }
      const ordered = (await query("SELECT Id FROM Account WHERE Name LIKE 'A%' ORDER BY Name FOR VIEW")).records.map((r) => r.Id);
      assert.deepEqual(ordered, (await query("SELECT Id FROM Account WHERE Name LIKE 'A%' ORDER BY Name")).records.map((r) => r.Id));
    });

    it('refuses FOR UPDATE with ORDER BY, and anything else after FOR', async () => {
      const err = await failure('SELECT Id FROM Account ORDER BY Name FOR UPDATE');
      assert.equal(err.errorCode, 'MALFORMED_QUERY');
      assert.match(err.message, /ORDER BY/);
      assert.equal((await failure('SELECT Id FROM Account FOR LUNCH')).errorCode, 'MALFORMED_QUERY');
      assert.equal((await failure('SELECT Id FROM Account FOR VIEW LIMIT 5')).errorCode, 'MALFORMED_QUERY');
    });
  });

  describe('USING SCOPE', () => {
    let me: string;
    let mine: string;
    let theirs: string;
    before(async () => {
      me = String((await query("SELECT Id FROM User WHERE Username = 'integration@retail.example'")).records[0].Id);
      const other = String((await query(`SELECT Id FROM User WHERE Id != '${me}' LIMIT 1`)).records[0].Id);
      const tag = `Scope${Date.now()}`;
      mine = (await conn.sobject('Account').create({ Name: `${tag} mine`, OwnerId: me })).id!;
      theirs = (await conn.sobject('Account').create({ Name: `${tag} theirs`, OwnerId: other })).id!;
    });

    it('answers Everything with every row and Mine with the rows the session user owns', async () => {
      const everything = await ids('SELECT Id FROM Account USING SCOPE Everything');
      assert.deepEqual(everything, await ids('SELECT Id FROM Account'));
      const owned = await ids(`SELECT Id FROM Account WHERE OwnerId = '${me}'`);
      const scoped = await ids("SELECT Id FROM Account USING SCOPE Mine WHERE Name != 'x'");
      assert.deepEqual(scoped, owned);
      assert.ok(scoped.includes(mine) && !scoped.includes(theirs) && everything.includes(theirs));
      assert.equal((await conn.query('SELECT COUNT() FROM Account USING SCOPE mine')).totalSize, owned.length);
      const [agg] = (await query('SELECT COUNT(Id) n FROM Account USING SCOPE Mine')).records;
      assert.equal(agg.n, owned.length);
    });

    it('refuses unknown scopes, and Mine on objects nobody owns', async () => {
      const unknown = await failure('SELECT Id FROM Account USING SCOPE Nobody');
      assert.equal(unknown.errorCode, 'MALFORMED_QUERY');
      assert.match(unknown.message, /scope/i);
      assert.equal((await failure('SELECT Id FROM Product2 USING SCOPE Mine')).errorCode, 'MALFORMED_QUERY');
      assert.ok((await ids('SELECT Id FROM Product2 USING SCOPE Everything')).length > 0);
    });
  });
});
