import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { METADATA_ENCODING_KEY, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { CodecKey, PayloadCodecConfig } from '../config/codec';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
export const CIPHER_METADATA = 'encryption-cipher';
const CIPHER = 'AES256GCM';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The sealed content: a flag byte (1 = deflated) and the original payload, metadata included. */
const RAW = 0;
const DEFLATED = 1;

/**
 * AES-256-GCM over the whole original payload (its metadata too, so even the encoding is hidden).
 * The key id travels in clear metadata so any configured key can open what it sealed; the id is
 * also the cipher's associated data, so a payload cannot be passed off as sealed by another key.
 */
export class EncryptionCodec implements PayloadCodec {
  private readonly keys: Map<string, Buffer>;
  private readonly sealWith: CodecKey;

  constructor(keys: CodecKey[], private readonly compress = true) {
    if (keys.length === 0) throw new Error('the payload codec needs at least one key');
    this.keys = new Map(keys.map((k) => [k.id, Buffer.from(k.key, 'base64')]));
    this.sealWith = keys[0];
  }

  /** The id of the key new payloads are sealed with. */
  get currentKeyId(): string {
    return this.sealWith.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.seal(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.open(payload));
  }

  private seal(payload: Payload): Payload {
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const deflated = this.compress && plain.length > 64 ? deflateRawSync(plain) : undefined;
    const body = deflated && deflated.length < plain.length ? Buffer.concat([Buffer.of(DEFLATED), deflated]) : Buffer.concat([Buffer.of(RAW), plain]);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', Buffer.from(this.sealWith.key, 'base64'), iv);
    cipher.setAAD(Buffer.from(this.sealWith.id, 'utf8'));
    const sealed = Buffer.concat([iv, cipher.update(body), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: encoder.encode(ENCRYPTED_ENCODING),
        [CIPHER_METADATA]: encoder.encode(CIPHER),
        [KEY_ID_METADATA]: encoder.encode(this.sealWith.id),
      },
      data: sealed,
    };
  }

  private open(payload: Payload): Payload {
    const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
    // Payloads written before encryption was turned on (or by another codec-less client) pass as they are.
    if (!encoding || decoder.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
    const keyId = payload.metadata?.[KEY_ID_METADATA] ? decoder.decode(payload.metadata[KEY_ID_METADATA]) : '';
    const key = this.keys.get(keyId);
    if (!key) throw new PayloadKeyError(`payload sealed with key "${keyId}", which is not configured (configured: ${[...this.keys.keys()].join(', ')})`);
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES + 1) throw new PayloadKeyError('sealed payload is truncated');
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(keyId, 'utf8'));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let body: Buffer;
    try {
      body = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadKeyError(`payload sealed with key "${keyId}" does not open: altered, or the key's value changed`);
    }
    const plain = body[0] === DEFLATED ? inflateRawSync(body.subarray(1)) : body.subarray(1);
    return temporal.api.common.v1.Payload.decode(plain) as Payload;
  }
}

export class PayloadKeyError extends Error {
  override name = 'PayloadKeyError';
}

/** The codec the configuration asks for, or none when encryption is off. */
export function payloadCodecFor(config: PayloadCodecConfig): EncryptionCodec | undefined {
  if (config.encryption === 'off') return undefined;
  if (config.keys.length === 0) {
    throw new Error(
      'payload encryption needs a key: set PAYLOAD_CODEC_KEYS or PAYLOAD_CODEC_KEYS_FILE (npm start makes .state/codec/keys.json; `retailctl codec new-key` prints one), or PAYLOAD_ENCRYPTION=off to keep payloads in clear text',
    );
  }
  return new EncryptionCodec(config.keys, config.compress);
}

/** The data converter every client and worker of the product uses: the default JSON converter, sealed. */
export function dataConverterFor(config: PayloadCodecConfig): DataConverter {
  const codec = payloadCodecFor(config);
  return { failureConverterPath, ...(codec ? { payloadCodecs: [codec] } : {}) };
}

/** The failure converter module (messages and stacks as encoded payloads); the workflow bundle loads the same one. */
export const failureConverterPath = require.resolve('./failure-converter');

/** A new key entry for the keys file (32 random bytes). */
export function newCodecKey(id = `k-${new Date().toISOString().slice(0, 10)}-${randomBytes(3).toString('hex')}`): CodecKey {
  return { id, key: randomBytes(32).toString('base64') };
}
