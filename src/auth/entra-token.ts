/**
 * @module
 * Validates an Entra ID access token the way App Service Authentication would, for where it is
 * absent (local runs, tests, a deployment without it): signature by the issuer's published keys
 * (JWKS, fetched and cached by jose), issuer, audience, expiry and not-before, and the tenant.
 * Any failure is a 401 that says which rule failed, never the token.
 * @see https://learn.microsoft.com/entra/identity-platform/access-tokens#validate-tokens
 */

import { createRequire } from 'node:module';
import { UnauthenticatedError } from '../problems/errors.js';
import { type Caller, callerFromClaims } from './caller.js';

// jose is an ES module; its types are imported as one (this file compiles to CommonJS).
type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' }});

export interface EntraTokenRules {
  /** e.g. `https://login.microsoftonline.com/<tenant>/v2.0` */
  issuer: string;
  /** The app's client id and/or App ID URI. */
  audiences: readonly string[];
  /** The issuer's key set, e.g. `https://login.microsoftonline.com/<tenant>/discovery/v2.0/keys`. */
  jwksUri: string;
  tenantId: string;
}

// jose is an ES module: Node 22 loads it through require() on first use (not at start-up).
const load = createRequire(__filename);
const jose = (): Jose => load('jose');
const keySets = new Map<string, ReturnType<Jose['createRemoteJWKSet']>>();

/**
 * @example
 * const caller = await verifyEntraToken(request.headers.get('authorization'), rules);
 */
export async function verifyEntraToken(
  authorization: string | null,
  rules: EntraTokenRules,
): Promise<Caller> {
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(authorization?.trim() ?? '');
  if (!match?.[1]) throw new UnauthenticatedError('A bearer token (Entra ID) is required.');
  const { createRemoteJWKSet, jwtVerify } = jose();
  let keys = keySets.get(rules.jwksUri);
  if (!keys) {
    keys = createRemoteJWKSet(new URL(rules.jwksUri));
    keySets.set(rules.jwksUri, keys);
  }
  let payload: Awaited<ReturnType<Jose['jwtVerify']>>['payload'];
  try {
    ({ payload } = await jwtVerify(match[1], keys, {
      issuer: rules.issuer,
      audience: [...rules.audiences],
      algorithms: ['RS256'],
      clockTolerance: 60,
    }));
  } catch (error) {
    throw new UnauthenticatedError(`The bearer token was refused (${reasonOf(error)}).`);
  }
  const caller = callerFromClaims(payload as Record<string, unknown>);
  if (caller.tenantId !== rules.tenantId)
    throw new UnauthenticatedError('The bearer token is for another tenant.');
  return caller;
}

/** jose's error code, a fixed vocabulary (`ERR_JWT_EXPIRED`, `ERR_JWS_SIGNATURE_VERIFICATION_FAILED`, …). */
function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  const claim = (error as { claim?: unknown } | undefined)?.claim;
  if (typeof code !== 'string') return 'not a valid token';
  return typeof claim === 'string' ? `${code}: ${claim}` : code;
}
