import { createPrivateKey, sign } from 'node:crypto';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** Salesforce accepts an assertion whose exp is at most 3 minutes ahead; a little less leaves room for clock skew. */
export const ASSERTION_LIFETIME_S = 170;

export interface AssertionInput {
  /** The connected app's consumer key. */
  clientId: string;
  /** The Salesforce username the session runs as. */
  username: string;
  /** The login URL (https://login.salesforce.com, https://test.salesforce.com, or the org's). */
  audience: string;
  /** PEM private key matching the certificate uploaded to the connected app. */
  privateKey: string;
  now?: number;
}

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The OAuth 2.0 JWT bearer assertion: RS256 over {iss, sub, aud, exp}, signed with Node's crypto. */
export function jwtAssertion(input: AssertionInput): string {
  const issuedAt = Math.floor((input.now ?? Date.now()) / 1000);
  const unsigned = `${base64url({ alg: 'RS256' })}.${base64url({ iss: input.clientId, sub: input.username, aud: input.audience.replace(/\/$/, ''), exp: issuedAt + ASSERTION_LIFETIME_S })}`;
  const signature = sign('RSA-SHA256', Buffer.from(unsigned), createPrivateKey(input.privateKey)).toString('base64url');
  return `${unsigned}.${signature}`;
}
