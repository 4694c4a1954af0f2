/**
 * @module
 * The gateway's own credentials for upstreams. Caller credentials never travel upstream;
 * these are added instead. Kinds: none, a static API key, OAuth2 client credentials (token
 * cached until shortly before it expires, one fetch in flight at a time) and Managed
 * Identity through @azure/identity (loaded lazily: it is heavy and only some deployments
 * need it). Token values are never logged or put in errors.
 */

import { UpstreamAuthError } from '../problems/errors.js';
import { azureIdentity, undici } from '../shared/lazy-require.js';
import type { CredentialProvider } from './http-client.js';

/** Refresh this long before a token's stated expiry. */
const EXPIRY_MARGIN_MS = 60_000;

export function staticBearer(token: string): CredentialProvider {
  const header = `Bearer ${token}`;
  return async () => header;
}

export interface ClientCredentialsOptions {
  upstreamName: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  timeoutMs: number;
  now?: () => number;
}

/**
 * OAuth2 client-credentials grant (RFC 6749 §4.4) with HTTP Basic client authentication.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 * @example
 * const credential = clientCredentials({ upstreamName: 'Flyte Admin', tokenUrl, clientId, clientSecret, scope: 'all', timeoutMs: 10_000 });
 * await credential(); // 'Bearer eyJ...'
 */
export function clientCredentials(options: ClientCredentialsOptions): CredentialProvider {
  const now = options.now ?? Date.now;
  let cached: { header: string; refreshAt: number } | undefined;
  let inFlight: Promise<string> | undefined;

  const fetchToken = async (): Promise<string> => {
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (options.scope) form.set('scope', options.scope);
    const basic = Buffer.from(
      `${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`,
    ).toString('base64');
    let status: number;
    let payload: unknown;
    try {
      const response = await undici().request(options.tokenUrl, {
        method: 'POST',
        headers: {
          authorization: `Basic ${basic}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form.toString(),
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
      status = response.statusCode;
      payload = await response.body.json().catch(() => undefined);
    } catch (error) {
      throw new UpstreamAuthError(options.upstreamName, 'the token endpoint could not be reached', error);
    }
    const token = payload as { access_token?: unknown; expires_in?: unknown } | undefined;
    if (status !== 200 || typeof token?.access_token !== 'string') {
      throw new UpstreamAuthError(options.upstreamName, `the token endpoint answered ${status}`);
    }
    const lifetimeMs = (typeof token.expires_in === 'number' ? token.expires_in : 300) * 1000;
    const header = `Bearer ${token.access_token}`;
    cached = { header, refreshAt: now() + Math.max(lifetimeMs - EXPIRY_MARGIN_MS, lifetimeMs / 2) };
    return header;
  };

  return async () => {
    if (cached && now() < cached.refreshAt) return cached.header;
    inFlight ??= fetchToken().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}

export interface ManagedIdentityOptions {
  upstreamName: string;
  scope: string;
  /** User-assigned identity's client id; system-assigned when absent. */
  clientId?: string;
}

/**
 * Managed Identity token for `scope`; @azure/identity caches and refreshes it.
 * @example
 * const credential = managedIdentity({ upstreamName: 'Flyte Admin', scope: 'api://flyte/.default' });
 */
export function managedIdentity(options: ManagedIdentityOptions): CredentialProvider {
  let credential: { getToken(scope: string): Promise<{ token: string } | null> } | undefined;
  return async () => {
    try {
      const { ManagedIdentityCredential } = azureIdentity();
      credential ??= new ManagedIdentityCredential(options.clientId ? { clientId: options.clientId } : {});
      const token = await credential.getToken(options.scope);
      if (!token) throw new Error('no token');
      return `Bearer ${token.token}`;
    } catch (error) {
      throw new UpstreamAuthError(options.upstreamName, 'managed identity gave no token', error);
    }
  };
}
