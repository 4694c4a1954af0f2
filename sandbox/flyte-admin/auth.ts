/**
 * Optional authentication, shaped like flyteadmin's self-hosted authorization server: a client-credentials
 * token endpoint (`POST /oauth2/token`, HTTP Basic client auth), bearer checks on the API (standard
 * `Authorization` or flyteadmin's `flyte-authorization` header) that fail with code 16, and the discovery
 * documents clients read to find the token endpoint. Tokens are opaque random strings, not JWTs: clients
 * must treat access tokens as opaque anyway, and this keeps the emulator free of key material.
 * @module
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { GrpcCode } from './constants.js';
import type { ResolvedOptions } from './options.js';
import type { ProtoObject } from './proto-value.js';
import { StatusError } from './status-error.js';

/** An HTTP answer outside the gateway (the OAuth2 endpoints are plain handlers in flyteadmin). */
export interface PlainAnswer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

interface IssuedToken {
  clientId: string;
  expiresAt: number;
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  for (const name of ['authorization', 'flyte-authorization']) {
    const value = headers[name];
    const match = typeof value === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(value) : null;
    if (match?.[1]) return match[1];
  }
  return undefined;
}

/** `application/x-www-form-urlencoded` decoding that never throws (bad escapes stay as they are). */
function formDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

function unauthenticated(reason: string): StatusError {
  return new StatusError(GrpcCode.UNAUTHENTICATED, `token parse error access token err: ${reason}`);
}

function oauthError(
  status: number,
  error: string,
  description: string,
  headers: Record<string, string> = {},
) {
  return { status, headers, body: { error, error_description: description } };
}

/**
 * Token issuing and checking for one emulator.
 * @example
 * const auth = new AuthService(resolveOptions({ auth: { requireBearer: 'issued', clients: { ci: 's3cret' } } }));
 * auth.authenticate({ authorization: 'Bearer nope' }, Date.now()); // throws code 16
 */
export class AuthService {
  readonly #options: ResolvedOptions;
  readonly #tokens = new Map<string, IssuedToken>();
  /** Requests that reached `/oauth2/token`, whatever their outcome (lets tests check token caching). */
  tokenRequests = 0;

  constructor(options: ResolvedOptions) {
    this.#options = options;
  }

  get enabled(): boolean {
    return this.#options.auth.requireBearer !== undefined;
  }

  /** The caller's principal (`""` with auth off), or a code-16 error. */
  authenticate(headers: IncomingHttpHeaders, now: number): string {
    const requirement = this.#options.auth.requireBearer;
    if (requirement === undefined) return '';
    const token = bearerToken(headers);
    if (token === undefined) {
      throw unauthenticated('no bearer token in the authorization or flyte-authorization header');
    }
    if (requirement === 'issued') {
      const issued = this.#tokens.get(token);
      if (!issued) throw unauthenticated('token was not issued by this server');
      if (issued.expiresAt <= now) throw unauthenticated('token is expired');
      return issued.clientId;
    }
    if (!sameSecret(token, requirement.token)) throw unauthenticated('token is not valid');
    return requirement.principal ?? 'sandbox-user';
  }

  /** `POST /oauth2/token` with `grant_type=client_credentials`, client authenticated by Basic or form fields. */
  token(method: string, headers: IncomingHttpHeaders, body: string, now: number): PlainAnswer {
    if (method !== 'POST') {
      return oauthError(405, 'invalid_request', 'the token endpoint only accepts POST', { allow: 'POST' });
    }
    const contentType = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/x-www-form-urlencoded') {
      return oauthError(400, 'invalid_request', 'expected an application/x-www-form-urlencoded body');
    }
    const form = new URLSearchParams(body);
    let clientId = form.get('client_id') ?? '';
    let secret = form.get('client_secret') ?? '';
    const basic = /^Basic\s+(\S+)$/i.exec(headers.authorization ?? '');
    if (basic?.[1]) {
      // RFC 6749 §2.3.1: id and secret are form-urlencoded before being joined and base64-encoded.
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      clientId = formDecode(decoded.slice(0, Math.max(colon, 0)));
      secret = formDecode(decoded.slice(colon + 1));
    }
    const expected = this.#options.auth.clients[clientId];
    if (clientId === '' || expected === undefined || !sameSecret(secret, expected)) {
      return oauthError(401, 'invalid_client', 'client authentication failed', {
        'www-authenticate': 'Basic realm="flyte-admin-emulator"',
      });
    }
    if (form.get('grant_type') !== 'client_credentials') {
      return oauthError(400, 'unsupported_grant_type', 'only client_credentials is supported');
    }
    const accessToken = `emu.${randomBytes(24).toString('base64url')}`;
    const expiresIn = this.#options.auth.tokenTtlSeconds;
    this.#tokens.set(accessToken, { clientId, expiresAt: now + expiresIn * 1000 });
    return {
      status: 200,
      headers: { 'cache-control': 'no-store', pragma: 'no-cache' },
      body: {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: expiresIn,
        scope: form.get('scope') ?? '',
      },
    };
  }

  /** `GET /.well-known/oauth-authorization-server` of flyteadmin's self-hosted server. */
  oauth2Metadata(baseUrl: string): ProtoObject {
    return {
      issuer: baseUrl,
      authorization_endpoint: `${baseUrl}/oauth2/authorize`,
      token_endpoint: `${baseUrl}/oauth2/token`,
      response_types_supported: ['code', 'token', 'code token'],
      scopes_supported: ['all'],
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
      jwks_uri: `${baseUrl}/oauth2/jwks`,
      code_challenge_methods_supported: ['S256'],
      grant_types_supported: ['client_credentials', 'refresh_token', 'authorization_code'],
    };
  }

  /** `GET /config/v1/flyte_client` with flyteadmin's defaults. */
  publicClientConfig(): ProtoObject {
    return {
      client_id: 'flytectl',
      redirect_uri: 'http://localhost:53593/callback',
      scopes: ['all', 'offline'],
      authorization_metadata_key: 'flyte-authorization',
    };
  }

  /**
   * Zeroes the token-request counter. Issued tokens stay valid: a test reset is not a server restart, and
   * revoking them would make a client's token cache fail in the next test for reasons unrelated to it.
   */
  reset(): void {
    this.tokenRequests = 0;
  }
}
