import { ApplicationFailure } from '@temporalio/workflow';
import { remainingQuantity } from '../../domain/case-lines';
import { assertUserId } from '../lib/deciders';
import type { CaseFacts } from './facts';

/** The service agent's decision when the policy cannot make it (the `chooseResolution` update). */
export interface AgentChoice {
  resolution: 'refund' | 'replacement';
  /** The choosing agent's Salesforce User Id (005…); Salesforce confirms the user is active first. */
  agent: string;
  /** Part of the order only; omitted = every line in full. */
  lines?: { lineNumber: number; quantity: number }[];
  note?: string;
  /** Who passed the choice on: the API key's name, or retailctl; recorded for the audit trail. */
  caller?: string;
}

export interface AgentChoiceAccepted {
  accepted: true;
  resolution: AgentChoice['resolution'];
  warehouseId?: string;
}

/** Failure types of a rejected choice (clients branch on these, never on the message). */
export const ChoiceRejections = {
  notAwaiting: 'NotAwaitingChoiceError',
  inProgress: 'ChoiceInProgressError',
  invalid: 'InvalidChoiceError',
  noStock: 'NoStockForReplacementError',
} as const;

const reject = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });

/**
 * The update's validator: runs before the choice enters the history, so a rejected choice leaves
 * no trace and the agent can try again. Throws an ApplicationFailure whose type names the reason.
 */
export function validateAgentChoice(choice: AgentChoice, awaiting: boolean, facts: CaseFacts | undefined, checking = false): void {
  if (!awaiting || !facts) throw reject(ChoiceRejections.notAwaiting, 'this case is not waiting for an agent\'s choice');
  if (checking) throw reject(ChoiceRejections.inProgress, 'another choice is being checked; try again in a moment');
  if (choice?.resolution !== 'refund' && choice?.resolution !== 'replacement') throw reject(ChoiceRejections.invalid, 'resolution must be "refund" or "replacement"');
  if (typeof choice.agent !== 'string' || !choice.agent.trim()) throw reject(ChoiceRejections.invalid, 'agent is required');
  assertUserId(choice.agent, 'agent');
  if (choice.caller !== undefined && typeof choice.caller !== 'string') throw reject(ChoiceRejections.invalid, 'caller must be text');
  if (choice.lines !== undefined) {
    if (!Array.isArray(choice.lines) || choice.lines.length === 0) throw reject(ChoiceRejections.invalid, 'lines, when given, name at least one order line');
    const seen = new Set<number>();
    for (const line of choice.lines) {
      const ordered = facts.order.lines.find((l) => l.lineNumber === line?.lineNumber);
      if (!ordered) throw reject(ChoiceRejections.invalid, `order ${facts.order.orderNumber} has no line ${line?.lineNumber}`);
      if (seen.has(line.lineNumber)) throw reject(ChoiceRejections.invalid, `line ${line.lineNumber} is named twice`);
      seen.add(line.lineNumber);
      const left = remainingQuantity(ordered);
      if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > left) {
        throw reject(ChoiceRejections.invalid, `line ${line.lineNumber}: quantity must be 1..${left} (what is not yet refunded or replaced)`);
      }
    }
  }
  if (choice.resolution === 'replacement' && facts.stock.status !== 'available') {
    throw reject(ChoiceRejections.noStock, 'no warehouse holds every line of the order: a replacement cannot be shipped');
  }
}
