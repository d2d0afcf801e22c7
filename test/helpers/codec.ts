import { createHash } from 'node:crypto';
import type { CodecKey } from '../../src/config/codec';
import { dataConverterFor } from '../../src/temporal/payload-codec';

/**
 * The suite runs encrypted, like production: fixed test keys (newest first) that every test worker,
 * client and CLI run shares. Derived, not random, so stored histories recorded with them replay.
 */
const derive = (label: string) => createHash('sha256').update(`retail-orchestrator test payload key: ${label}`).digest('base64');
export const testCodecKeys: CodecKey[] = [
  { id: 'test-2', key: derive('test-2') },
  { id: 'test-1', key: derive('test-1') },
];

/** Environment giving a configuration (or a retailctl subprocess) the test keys. */
export const testCodecEnv: Record<string, string> = { PAYLOAD_CODEC_KEYS: JSON.stringify(testCodecKeys) };

export const testDataConverter = dataConverterFor({ encryption: 'required', keys: testCodecKeys, compress: true });
