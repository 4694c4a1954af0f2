/**
 * @module
 * The gateway's own credentials for upstreams. Caller credentials never travel upstream;
 * these are added instead. Kinds: none, a static API key, OAuth2 client credentials (token
 * cached until shortly before it expires, one fetch in flight at a time) and an Entra token
 * from the process's Azure credential. Token values are never logged or put in errors.
 *
 * The Azure credential is chosen here, once, for every Azure client (Azure ML, Flyte with
 * managed identity, storage, workspace lookups): the managed identity where the platform
 * provides one (App Service and Functions, Flex included, set `IDENTITY_ENDPOINT`; older hosts
 * `MSI_ENDPOINT`), with `AZURE_CLIENT_ID` for a user-assigned one; anywhere else the developer's
 * own sign-in — a service principal in `AZURE_TENANT_ID`/`AZURE_CLIENT_ID`/`AZURE_CLIENT_SECRET`,
 * `az login`, `azd auth login` or `Connect-AzAccount`, first that works. Never both: in Azure a
 * failing identity is an error, not a fall-back to whatever tool is on the machine.
 * @azure/identity is loaded lazily: it is heavy and only some deployments need it.
 */

import type { TokenCredential } from '@azure/core-auth';
import { UpstreamAuthError } from '../problems/errors.js';
import { azureIdentity, undici } from '../shared/lazy-require.js';
import { entryOf } from '../shared/map-entry.js';
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

/** Which Azure credential this process uses: see the module comment. */
export type AzureCredentialKind = 'managed-identity' | 'developer';

/**
 * @example
 * azureCredentialKind({ IDENTITY_ENDPOINT: 'http://localhost:8081/msi/token' }) // 'managed-identity'
 */
export function azureCredentialKind(
  env: Record<string, string | undefined> = process.env,
): AzureCredentialKind {
  return env.IDENTITY_ENDPOINT || env.MSI_ENDPOINT ? 'managed-identity' : 'developer';
}

const azureCredentials = new Map<string, TokenCredential>();

/**
 * A credential made, with @azure/identity loaded, on its first `getToken`. The telemetry
 * exporter is handed one at start-up but asks for a token only at its first export, seconds
 * later: made at once, it put @azure/identity and MSAL (~190 modules, ~150 ms) in every cold
 * start in Azure.
 */
function madeOnFirstToken(make: () => TokenCredential): TokenCredential {
  let made: TokenCredential | undefined;
  return {
    getToken: (scopes, options) => {
      made ??= make();
      return made.getToken(scopes, options);
    },
  };
}

/**
 * The process's Azure credential, one per user-assigned client id (so Azure ML, storage and
 * workspace lookups share one token cache), made on first use (`madeOnFirstToken`).
 * @example
 * const credential = azureCredential(settings.AZURE_CLIENT_ID);
 * new BlobServiceClient(url, credential);
 */
export function azureCredential(
  clientId: string | undefined,
  env: Record<string, string | undefined> = process.env,
): TokenCredential {
  const kind = azureCredentialKind(env);
  return entryOf(azureCredentials, `${kind}:${clientId ?? ''}`, () => {
    const servicePrincipal = Boolean(env.AZURE_CLIENT_SECRET);
    return madeOnFirstToken(() => {
      const identity = azureIdentity();
      return kind === 'managed-identity'
        ? new identity.ManagedIdentityCredential(clientId ? { clientId } : {})
        : new identity.ChainedTokenCredential(
            // A service principal only when its secret is set: AZURE_CLIENT_ID alone names a
            // user-assigned identity, not a developer credential.
            ...(servicePrincipal ? [new identity.EnvironmentCredential()] : []),
            new identity.AzureCliCredential(),
            new identity.AzureDeveloperCliCredential(),
            new identity.AzurePowerShellCredential(),
          );
    });
  });
}

export interface ManagedIdentityOptions {
  upstreamName: string;
  scope: string;
  /** User-assigned identity's client id; system-assigned when absent. */
  clientId?: string;
}

/**
 * Entra token for `scope` from the process's Azure credential (`azureCredential`): the managed
 * identity in Azure, the developer's sign-in elsewhere; @azure/identity caches and refreshes it.
 * @example
 * const credential = managedIdentity({ upstreamName: 'Flyte Admin', scope: 'api://flyte/.default' });
 */
export function managedIdentity(options: ManagedIdentityOptions): CredentialProvider {
  return async () => {
    const kind = azureCredentialKind();
    try {
      const token = await azureCredential(options.clientId).getToken(options.scope);
      if (!token) throw new Error('no token');
      return `Bearer ${token.token}`;
    } catch (error) {
      const why =
        kind === 'managed-identity'
          ? 'managed identity gave no token'
          : 'no developer credential gave a token (sign in with az login or azd auth login)';
      throw new UpstreamAuthError(options.upstreamName, why, error);
    }
  };
}
