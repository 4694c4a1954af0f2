/**
 * @module
 * Who is calling, under AUTH_MODE=entra, and may they: with App Service Authentication on
 * (WEBSITE_AUTH_ENABLED), the principal it forwards; otherwise a bearer token validated here
 * by the same rules. A forged `x-ms-client-principal` is never read when Easy Auth is off. No
 * caller is a 401; a caller without the operation's role a 403. AUTH_MODE=key identifies
 * nobody and checks no role (function keys are the host's to check).
 */

import type { Settings } from '../config.js';
import { RoleRequiredError, UnauthenticatedError } from '../problems/errors.js';
import { type Caller, callerFromPrincipal } from './caller.js';
import { verifyEntraToken } from './entra-token.js';
import type { Role } from './roles.js';

const LOGIN = 'https://login.microsoftonline.com';

/**
 * @example
 * const caller = await identify(request.headers, settings); // undefined under AUTH_MODE=key
 */
export async function identify(headers: Headers, settings: Settings): Promise<Caller | undefined> {
  if (settings.AUTH_MODE !== 'entra') return undefined;
  if (settings.WEBSITE_AUTH_ENABLED) {
    const caller = callerFromPrincipal(headers.get('x-ms-client-principal'));
    if (!caller) throw new UnauthenticatedError('App Service Authentication passed no caller.');
    return caller;
  }
  return verifyEntraToken(headers.get('authorization'), {
    tenantId: settings.ENTRA_TENANT_ID ?? '',
    audiences: settings.ENTRA_AUDIENCES,
    issuer: entraIssuer(settings),
    jwksUri: settings.ENTRA_JWKS_URI ?? `${LOGIN}/${settings.ENTRA_TENANT_ID}/discovery/v2.0/keys`,
  });
}

/**
 * The issuer whose tokens are accepted: `ENTRA_ISSUER`, else the tenant's v2.0 issuer. Tokens,
 * the OpenAPI document and the protected-resource metadata all name this one.
 * @example
 * entraIssuer(settings) // 'https://login.microsoftonline.com/<tenant>/v2.0'
 */
export function entraIssuer(settings: Settings): string {
  return settings.ENTRA_ISSUER ?? `${LOGIN}/${settings.ENTRA_TENANT_ID}/v2.0`;
}

/**
 * Throws `RoleRequiredError` unless the caller has the role; no caller (AUTH_MODE=key) passes.
 * @example
 * authorize(caller, ROLES.run, 'createexecution');
 */
export function authorize(caller: Caller | undefined, role: Role, what: string): void {
  if (caller && !caller.roles.has(role)) throw new RoleRequiredError(role, what);
}

/** Whether the caller may use an operation of this role (tools the caller may not use are not listed). */
export const mayUse = (caller: Caller | undefined, role: Role) => !caller || caller.roles.has(role);

/** The caller's ids for log lines and records: who did what. */
export function callerFields(caller: Caller | undefined): { callerOid?: string; callerAppId?: string } {
  if (!caller) return {};
  return { callerOid: caller.objectId, callerAppId: caller.appId };
}
