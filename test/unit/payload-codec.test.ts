import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { configFromEnv } from '../../src/config';
import { EncryptionCodec, KEY_ID_METADATA, newCodecKey, payloadCodecFor, PayloadKeyError } from '../../src/temporal/payload-codec';

const text = (p: Payload) => Buffer.from(p.data ?? new Uint8Array()).toString('utf8');
const metadata = (p: Payload, key: string) => Buffer.from(p.metadata?.[key] ?? new Uint8Array()).toString('utf8');
const customer = { caseNumber: '00010001', subject: 'Parcel arrived damaged', agent: 'Ada Lovelace', notes: 'x'.repeat(500) };

describe('payload encryption codec (AES-256-GCM)', () => {
  const older = newCodecKey('k-old');
  const newer = newCodecKey('k-new');

  it('seals a payload so none of its content or encoding is readable, and opens it back exactly', async () => {
    const codec = new EncryptionCodec([older]);
    const plain = defaultPayloadConverter.toPayload(customer)!;
    const [sealed] = await codec.encode([plain]);
    assert.equal(metadata(sealed, 'encoding'), 'binary/encrypted');
    assert.equal(metadata(sealed, KEY_ID_METADATA), 'k-old');
    assert.ok(!text(sealed).includes('Lovelace') && !text(sealed).includes('json/plain'));
    const [opened] = await codec.decode([sealed]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(opened), customer);
    assert.equal(metadata(opened, 'encoding'), 'json/plain');
  });

  it('compresses before sealing when that is smaller, and not otherwise', async () => {
    const plain = defaultPayloadConverter.toPayload(customer)!;
    const [compressed] = await new EncryptionCodec([older], true).encode([plain]);
    const [uncompressed] = await new EncryptionCodec([older], false).encode([plain]);
    assert.ok(compressed.data!.length < uncompressed.data!.length / 2, `${compressed.data!.length} vs ${uncompressed.data!.length}`);
    assert.deepEqual(defaultPayloadConverter.fromPayload((await new EncryptionCodec([older]).decode([compressed]))[0]), customer);
  });

  it('rotates: new payloads use the newest key, payloads sealed with an older configured key still open', async () => {
    const [sealedBefore] = await new EncryptionCodec([older]).encode([defaultPayloadConverter.toPayload('before rotation')!]);
    const rotated = new EncryptionCodec([newer, older]);
    const [sealedAfter] = await rotated.encode([defaultPayloadConverter.toPayload('after rotation')!]);
    assert.equal(metadata(sealedAfter, KEY_ID_METADATA), 'k-new');
    const opened = await rotated.decode([sealedBefore, sealedAfter]);
    assert.deepEqual(opened.map((p) => defaultPayloadConverter.fromPayload(p)), ['before rotation', 'after rotation']);
  });

  it('refuses a payload whose key is not configured, one that was altered, and one relabelled with another key id', async () => {
    const [sealed] = await new EncryptionCodec([older]).encode([defaultPayloadConverter.toPayload(customer)!]);
    await assert.rejects(new EncryptionCodec([newer]).decode([sealed]), (err: Error) => err instanceof PayloadKeyError && /k-old/.test(err.message));
    const altered = { ...sealed, data: Buffer.from(sealed.data!).map((b, i) => (i === 20 ? b ^ 1 : b)) };
    await assert.rejects(new EncryptionCodec([older]).decode([altered]), PayloadKeyError);
    // Same key bytes under another id: the id is authenticated, so the relabelled payload does not open.
    const relabelled = { ...sealed, metadata: { ...sealed.metadata, [KEY_ID_METADATA]: Buffer.from('k-alias') } };
    await assert.rejects(new EncryptionCodec([{ id: 'k-alias', key: older.key }]).decode([relabelled]), PayloadKeyError);
  });

  it('passes payloads written without encryption through unchanged (histories from before it was turned on)', async () => {
    const plain = defaultPayloadConverter.toPayload({ legacy: true })!;
    const [out] = await new EncryptionCodec([older]).decode([plain]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(out), { legacy: true });
  });

  it('is configured from PAYLOAD_CODEC_KEYS or a 0600 keys file; no key is an error unless PAYLOAD_ENCRYPTION=off', () => {
    const dir = mkdtempSync(join(tmpdir(), 'codec-'));
    const inline = configFromEnv({ RETAIL_STATE_DIR: dir, PAYLOAD_CODEC_KEYS: JSON.stringify([newer, older]) });
    assert.equal(payloadCodecFor(inline.payloadCodec)!.currentKeyId, 'k-new');

    assert.throws(() => payloadCodecFor(configFromEnv({ RETAIL_STATE_DIR: dir }).payloadCodec), /payload encryption needs a key/);
    assert.equal(payloadCodecFor(configFromEnv({ RETAIL_STATE_DIR: dir, PAYLOAD_ENCRYPTION: 'off' }).payloadCodec), undefined);

    const file = join(dir, 'keys.json');
    writeFileSync(file, JSON.stringify([older]), { mode: 0o644 });
    chmodSync(file, 0o644);
    assert.throws(() => configFromEnv({ PAYLOAD_CODEC_KEYS_FILE: file }), /readable by its owner only/);
    chmodSync(file, 0o600);
    assert.equal(payloadCodecFor(configFromEnv({ PAYLOAD_CODEC_KEYS_FILE: file }).payloadCodec)!.currentKeyId, 'k-old');

    assert.throws(() => configFromEnv({ PAYLOAD_CODEC_KEYS: '[{"id":"short","key":"AAAA"}]' }), /32 bytes/);
    assert.throws(() => configFromEnv({ PAYLOAD_CODEC_KEYS: JSON.stringify([older, older]) }), /unique/);
    assert.throws(() => configFromEnv({ PAYLOAD_CODEC_KEYS: 'not json' }), /not JSON/);
  });
});
