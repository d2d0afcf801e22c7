import type { Config } from '../../config';
import type { SalesforceConnector } from '../salesforce';
import { PubSubConnector } from './connector';

export { PubSubConnector, fromBitmaps, isReplayRejected, type PubSubSession, type ReceivedEvent, type ReplayStart, type Subscription } from './connector';
export type { ChangeEventHeader } from './wire';

/** The Pub/Sub connector for this configuration, authenticated by the REST connector's OAuth session. */
export function createPubSubConnector(config: Config, salesforce: SalesforceConnector): PubSubConnector {
  return new PubSubConnector({
    endpoint: config.pubsub.endpoint,
    tls: config.pubsub.tls,
    timeoutMs: config.downstream.timeoutMs,
    session: (renew) => salesforce.session(renew),
  });
}
