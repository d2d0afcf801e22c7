import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import type { Sandbox } from '../../sandbox';
import { admin, startTestSandbox } from '../helpers/sandbox';

const AUTH = `Basic ${Buffer.from('ORCH:legacy-sandbox-password').toString('base64')}`;
const parser = new XMLParser({ parseTagValue: false, isArray: (name) => name === 'CreditMemo' || name === 'LedgerEntry' });
const envelope = (requestId: string, body: string, user = 'ORCH') => `<Request><Header><RequestId>${requestId}</RequestId><User>${user}</User></Header><Body>${body}</Body></Request>`;
const createMemo = (amount: string, date = '20310105') =>
  `<CreateCreditMemo><CUST_NO>C-000001</CUST_NO><ORD_REF>SO-100001</ORD_REF><AMT>${amount}</AMT><CURR>USD</CURR><RSN>DAMAGED</RSN><BUS_DATE>${date}</BUS_DATE></CreateCreditMemo>`;

describe('sandbox: legacy ERP (finance, XML)', () => {
  let sandbox: Sandbox;
  let base: string;
  let seq = 0;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const call = async (service: string, body: string, requestId = `t-${++seq}`, authorization = AUTH): Promise<{ status: number; xml: any; text: string }> => {
    const res = await fetch(`${base}/legacy/finance/${service}`, { method: 'POST', headers: { authorization, 'content-type': 'text/xml' }, body: envelope(requestId, body) });
    const text = await res.text();
    return { status: res.status, xml: parser.parse(text), text };
  };

  before(async () => {
    sandbox = await startTestSandbox(['erpLegacy']);
    base = sandbox.urls.erpLegacy!;
  });
  after(() => sandbox.close());

  it('answers 401 with a Basic challenge for missing or wrong credentials', async () => {
    for (const authorization of ['', `Basic ${Buffer.from('ORCH:nope').toString('base64')}`]) {
      const res = await call('CreditMemoService', createMemo('1.00'), 'auth-1', authorization);
      assert.equal(res.status, 401);
      assert.equal(res.xml.Fault.Code, 'AUTH-401');
    }
    const res = await fetch(`${base}/legacy/finance/CreditMemoService`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<Request/>' });
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic/);
  });

  it('answers business and validation faults as HTTP 500 with a fault code', async () => {
    const invalid = await call('CreditMemoService', createMemo('12.3'));
    assert.deepEqual([invalid.status, invalid.xml.Fault.Code], [500, 'VAL-001']);
    const missing = await call('CreditMemoService', '<GetCreditMemo><CM_NO>CM000000</CM_NO></GetCreditMemo>');
    assert.deepEqual([missing.status, missing.xml.Fault.Code], [500, 'NF-404']);
    const noRequestId = await call('CreditMemoService', createMemo('1.00'), '');
    assert.deepEqual([noRequestId.status, noRequestId.xml.Fault.Code], [500, 'VAL-002']);
  });

  it('keeps the HTTP status of an injected 429 and sends an injected SYS-LOCK as a 500 fault', async () => {
    await admin(base).fault({ kind: 'rate-limit', path: '/legacy/finance/LedgerService', retryAfterSeconds: 3, count: 1 });
    const limited = await fetch(`${base}/legacy/finance/LedgerService`, { method: 'POST', headers: { authorization: AUTH, 'content-type': 'text/xml' }, body: envelope('rl-1', '<ListLedgerEntries><BUS_DATE>20310105</BUS_DATE></ListLedgerEntries>') });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '3');
    await admin(base).fault({ kind: 'error', status: 500, errorCode: 'SYS-LOCK', path: '/legacy/finance/CreditMemoService', count: 1 });
    const locked = await call('CreditMemoService', createMemo('1.00'));
    assert.deepEqual([locked.status, locked.xml.Fault.Code], [500, 'SYS-LOCK']);
  });

  it('replays the saved response for a repeated RequestId and faults IDEM-409 when the body changed', async () => {
    const first = await call('CreditMemoService', createMemo('10.00'), 'req-replay');
    const again = await call('CreditMemoService', createMemo('10.00'), 'req-replay');
    assert.equal(again.status, 200);
    assert.equal(again.text, first.text);
    const cmNo = first.xml.Response.Body.CreditMemo[0].CM_NO as string;
    assert.equal((await admin(base).ledger({ kind: 'creditMemo.drafted', ref: cmNo })).count, 1);
    const changed = await call('CreditMemoService', createMemo('11.00'), 'req-replay');
    assert.deepEqual([changed.status, changed.xml.Fault.Code], [500, 'IDEM-409']);
  });

  it('moves a memo D → P → V, faults STATE-409 on posting a void memo, and writes ledger entries on post and void', async () => {
    const created = await call('CreditMemoService', createMemo('42.10', '20310106'));
    const memo = created.xml.Response.Body.CreditMemo[0];
    assert.equal(memo.STAT, 'D');
    const cm = `<CM_NO>${memo.CM_NO}</CM_NO>`;
    assert.equal((await call('CreditMemoService', `<PostCreditMemo>${cm}</PostCreditMemo>`)).xml.Response.Body.CreditMemo[0].STAT, 'P');
    assert.equal((await call('CreditMemoService', `<PostCreditMemo>${cm}</PostCreditMemo>`)).xml.Response.Body.CreditMemo[0].STAT, 'P');
    assert.equal((await admin(base).ledger({ kind: 'creditMemo.posted', ref: memo.CM_NO })).count, 1);
    const ledgerAfterPost = await call('LedgerService', '<ListLedgerEntries><BUS_DATE>20310106</BUS_DATE></ListLedgerEntries>');
    assert.deepEqual(ledgerAfterPost.xml.Response.Body.LedgerEntryList.LedgerEntry.map((e: { ACCT: string; DRCR: string; AMT: string; REF: string }) => [e.ACCT, e.DRCR, e.AMT, e.REF]), [
      ['4100', 'D', '42.10', memo.CM_NO],
      ['1200', 'C', '42.10', memo.CM_NO],
    ]);
    assert.equal((await call('CreditMemoService', `<VoidCreditMemo>${cm}</VoidCreditMemo>`)).xml.Response.Body.CreditMemo[0].STAT, 'V');
    const illegal = await call('CreditMemoService', `<PostCreditMemo>${cm}</PostCreditMemo>`);
    assert.deepEqual([illegal.status, illegal.xml.Fault.Code], [500, 'STATE-409']);
    const ledger = await call('LedgerService', '<ListLedgerEntries><BUS_DATE>20310106</BUS_DATE></ListLedgerEntries>');
    assert.equal(ledger.xml.Response.Body.LedgerEntryList.LedgerEntry.length, 4, 'the void reverses both lines');
  });

  it('pages credit memo lists with NextPageToken', async () => {
    for (let i = 1; i <= 5; i++) await call('CreditMemoService', createMemo(`${i}.00`, '20310107'));
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const res = await call('CreditMemoService', `<ListCreditMemos><BUS_DATE>20310107</BUS_DATE><PAGE_SIZE>2</PAGE_SIZE>${token ? `<PageToken>${token}</PageToken>` : ''}</ListCreditMemos>`);
      seen.push(...res.xml.Response.Body.CreditMemoList.CreditMemo.map((m: { AMT: string }) => m.AMT));
      token = res.xml.Response.Body.NextPageToken;
      pages += 1;
    } while (token);
    assert.equal(pages, 3);
    assert.deepEqual(seen.sort(), ['1.00', '2.00', '3.00', '4.00', '5.00']);
    const bad = await call('CreditMemoService', '<ListCreditMemos><BUS_DATE>20310107</BUS_DATE><PageToken>zzz</PageToken></ListCreditMemos>');
    assert.equal(bad.xml.Fault.Code, 'VAL-003');
  });
});
