import type { SystemName } from '../domain/errors';
import type { LineRefusal } from '../domain/case-lines';

/** Why a start was refused before anything started; kept apart from the reader so callers load no connectors to match them. */
export class CaseNotFoundError extends Error {
  override readonly name = 'CaseNotFoundError';
  constructor(readonly caseNumber: string) {
    super(`Salesforce has no case ${caseNumber}`);
  }
}

/** The case cannot be started as asked: no order, another record id, another reason, or lines the order does not allow. */
export class CaseRefusedError extends Error {
  override readonly name = 'CaseRefusedError';
  constructor(
    readonly slug: 'case-without-order' | 'case-mismatch' | 'reason-required' | 'lines-refused' | 'no-stock',
    message: string,
    readonly refusal?: LineRefusal,
  ) {
    super(message);
  }
}

/** Salesforce, the ERP or the payment provider did not answer in time: nothing was started. */
export class FactsUnavailableError extends Error {
  override readonly name = 'FactsUnavailableError';
  constructor(
    readonly system: SystemName,
    message: string,
  ) {
    super(message);
  }
}
