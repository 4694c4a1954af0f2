/**
 * Identity for the Azure ML emulator: an App Service–style managed-identity endpoint (`GET /msi/token`,
 * API 2019-08-01, secret in `X-IDENTITY-HEADER`) that `@azure/identity`'s `ManagedIdentityCredential`
 * can use when `IDENTITY_ENDPOINT`/`IDENTITY_HEADER` point at it, and the bearer check of the API. Every
 * token request is recorded (resource, client id, …) so a test can assert which audience a gateway asked
 * for. Tokens are JWT-shaped (HS256 over a per-emulator key) with `aud` = the requested resource, so they
 * can be decoded while debugging; they are only meaningful to this emulator.
 * @module
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { InnerCode, MSI_API_VERSION } from './constants.js';
import { userError } from './errors.js';
import type { ResolvedOptions } from './options.js';

/** Client id reported for the system-assigned identity (a fixed, recognisable GUID). */
export const SYSTEM_ASSIGNED_CLIENT_ID = '5e1f0000-0000-4000-8000-00000000a001';

/** One request to the managed-identity endpoint, as the emulator saw it. */
export interface TokenRequest {
  /** `resource` as sent; MSAL derives it from the scope by dropping `/.default`. */
  resource?: string;
  /** `client_id` (user-assigned identity by client id), when sent. */
  clientId?: string;
  /** `object_id`, when sent. */
  objectId?: string;
  /** `mi_res_id` (user-assigned identity by ARM resource id), when sent. */
  miResId?: string;
  apiVersion?: string;
  /** Arrival on the emulator clock (epoch ms). */
  at: number;
  /** Status the endpoint answered with. */
  status: number;
  /** The issued token, when `status` is 200. */
  token?: string;
}

export interface TokenAnswer {
  status: number;
  body: unknown;
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export class IdentityService {
  readonly tokenRequests: TokenRequest[] = [];
  /** Issued token → expiry (epoch ms); kept across `reset()` so a client's cached token stays valid. */
  private readonly issued = new Map<string, number>();
  private readonly signingKey = randomBytes(32);

  constructor(private readonly options: ResolvedOptions) {}

  /** Answers `GET /msi/token?api-version=2019-08-01&resource=…[&client_id=…]`. */
  msiToken(method: string, query: URLSearchParams, headers: IncomingHttpHeaders, now: number): TokenAnswer {
    const record: TokenRequest = { at: now, status: 0 };
    const fields = [
      ['resource', 'resource'],
      ['clientId', 'client_id'],
      ['objectId', 'object_id'],
      ['miResId', 'mi_res_id'],
      ['apiVersion', 'api-version'],
    ] as const;
    for (const [field, name] of fields) {
      const value = query.get(name);
      if (value !== null) record[field] = value;
    }
    const answer = this.decide(method, record, headers['x-identity-header'], now);
    record.status = answer.status;
    this.tokenRequests.push(record);
    return answer;
  }

  private decide(method: string, record: TokenRequest, secret: unknown, now: number): TokenAnswer {
    const fail = (status: number, message: string): TokenAnswer => ({
      status,
      body: { statusCode: status, message, correlationId: randomUUID() },
    });
    const expected = this.options.auth.identityHeader;
    if (expected === undefined)
      return fail(404, 'The managed identity endpoint is off (auth.identityHeader).');
    if (method !== 'GET') return fail(405, `${method} is not supported; use GET.`);
    if (secret !== expected) return fail(401, 'X-IDENTITY-HEADER is missing or does not match.');
    if (record.apiVersion !== MSI_API_VERSION)
      return fail(400, `api-version must be ${MSI_API_VERSION}, got ${record.apiVersion ?? 'none'}.`);
    if (!record.resource) return fail(400, 'The resource query parameter is required.');
    const clientId = record.clientId ?? SYSTEM_ASSIGNED_CLIENT_ID;
    const expiresOn = Math.floor(now / 1000) + this.options.auth.tokenTtlSeconds;
    const token = this.mint(record.resource, clientId, now, expiresOn);
    record.token = token;
    this.issued.set(token, expiresOn * 1000);
    return {
      status: 200,
      body: {
        access_token: token,
        expires_on: String(expiresOn),
        resource: record.resource,
        token_type: 'Bearer',
        client_id: clientId,
      },
    };
  }

  private mint(resource: string, clientId: string, now: number, expiresOn: number): string {
    const issuedAt = Math.floor(now / 1000);
    const unsigned = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url({
      aud: resource,
      iss: 'https://sts.windows.net/azureml-emulator/',
      iat: issuedAt,
      nbf: issuedAt,
      exp: expiresOn,
      appid: clientId,
      oid: clientId,
      sub: clientId,
      jti: randomUUID(),
    })}`;
    return `${unsigned}.${createHmac('sha256', this.signingKey).update(unsigned).digest('base64url')}`;
  }

  /**
   * Checks `Authorization: Bearer …` against `auth.requireBearer`; does nothing when auth is off.
   * @throws AzureMlError 401 (`UserError` → `AuthenticationError`) with `WWW-Authenticate: Bearer`
   */
  authenticate(headers: IncomingHttpHeaders, now: number): void {
    const required = this.options.auth.requireBearer;
    if (required === undefined) return;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
    const token = match?.[1];
    if (token === undefined)
      throw userError(
        401,
        InnerCode.AuthenticationError,
        'Authorization header with a Bearer token is required.',
        null,
        {
          'www-authenticate': 'Bearer',
        },
      );
    const expiry = this.issued.get(token);
    const valid = required === 'issued' ? expiry !== undefined && expiry > now : token === required;
    if (!valid)
      throw userError(401, InnerCode.AuthenticationError, 'The bearer token is invalid or expired.', null, {
        'www-authenticate': 'Bearer error="invalid_token"',
      });
  }

  reset(): void {
    this.tokenRequests.length = 0;
  }
}
