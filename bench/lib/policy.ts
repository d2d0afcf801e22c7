import type { ResolutionPolicyInput } from '../../src/domain/policy';

/** Every case resolves to a refund without approval or return, so each run is the same work. */
export const refundOnlyPolicy: ResolutionPolicyInput = {
  refundWindowDays: 3650,
  replacementReasons: [],
  refundReasons: ['delayed-shipment', 'not-received', 'damaged-item', 'wrong-item', 'other'],
  returnRequiredFor: [],
  approvalThreshold: { default: 100_000_000 },
};
