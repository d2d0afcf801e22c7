import type { SalesforceConnector } from '../../connectors/salesforce';
import { fromAccount, fromContact, touchedFields } from '../../connectors/salesforce/customer-master';
import type { ChangeEventHeader, ReceivedEvent } from '../../connectors/salesforce-pubsub';
import type { CustomerChange, CustomerMasterValues } from '../../domain/customer-master';

/**
 * An Account or Contact change event as a customer change: the canonical fields it touched, with
 * the values it carries (a partly changed billing address completed from the Account), versioned
 * by the org's commit number. Undefined when it touches no customer master field, or the record
 * is not a customer the ERP knows (no ERP_Customer_Id__c) or not the Account's primary Contact.
 */
export async function toCustomerChange(salesforce: SalesforceConnector, event: ReceivedEvent, header: ChangeEventHeader, recordId: string): Promise<CustomerChange | undefined> {
  const object = header.entityName === 'Account' ? 'Account' : header.entityName === 'Contact' ? 'Contact' : undefined;
  if (!object || !['CREATE', 'UPDATE', 'GAP_CREATE', 'GAP_UPDATE'].includes(header.changeType)) return undefined;
  const carried = header.changeType.endsWith('CREATE') ? Object.keys(event.payload) : header.changedFields;
  const fields = touchedFields(object, carried);
  if (!fields.length) return undefined;
  const accountId = object === 'Account' ? recordId : await salesforce.accountOfContact(recordId);
  if (!accountId) return undefined;
  const master = await salesforce.getCustomerMaster({ accountId });
  if (!master.customerId || (object === 'Contact' && master.contactId !== recordId)) return undefined;
  // Gap events carry no values: the record as it is now stands in for them.
  const fromEvent: CustomerMasterValues = header.changeType.startsWith('GAP_') ? master.values : object === 'Account' ? fromAccount({ ...addressOf(master.values), ...definedOnly(event.payload) }) : fromContact(event.payload);
  const values = Object.fromEntries(fields.filter((f) => fromEvent[f] !== undefined).map((f) => [f, fromEvent[f]])) as CustomerMasterValues;
  return {
    eventId: `${event.id}:${recordId}`,
    source: 'salesforce',
    customerId: master.customerId,
    version: header.commitNumber ?? header.commitTimestamp * 1000 + header.sequenceNumber,
    occurredAt: new Date(header.commitTimestamp).toISOString(),
    values,
    salesforce: { accountId: master.accountId, contactId: master.contactId },
  };
}

/** The Account's address fields as Salesforce names them, so an event changing one of them completes the address. */
function addressOf(values: CustomerMasterValues): Record<string, unknown> {
  const a = values.billingAddress;
  return a ? { BillingStreet: a.street, BillingCity: a.city, BillingPostalCode: a.postalCode, BillingCountry: a.country } : {};
}

const definedOnly = (payload: Record<string, unknown>) => Object.fromEntries(Object.entries(payload).filter(([, v]) => v !== null && v !== undefined));
