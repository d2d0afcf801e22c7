import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Failure messages and stack traces carry order numbers, amounts and names: they travel as an
 * encoded payload, so the payload codec seals them like every other payload. Loaded by path in the
 * workflow bundle, the workers and every client, so all sides read failures the same way.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
