/**
 * @module
 * Who is calling, from what the platform or a token says: the caller's object id, app id,
 * tenant and app roles. Two sources only, never mixed: App Service Authentication (Easy Auth)
 * has validated a token and forwards its claims in `x-ms-client-principal` (trusted only when the
 * site says Easy Auth is on, since anyone can send that header to an app without it), or the app
 * validates an Entra bearer token itself (entra-token.ts). Claim types arrive mapped by Easy
 * Auth (`oid` as `.../objectidentifier`, `roles` or `.../claims/role`), so both spellings count.
 * @see ../shared/reference/entra-roles-on-flex.md §2
 */

export interface Caller {
  /** Entra object id of the user or service principal (`oid`). */
  objectId?: string;
  /** Client application id (`appid` in v1 tokens, `azp` in v2). */
  appId?: string;
  tenantId?: string;
  /** App roles granted to the caller (`roles`). */
  roles: ReadonlySet<string>;
  /** How the caller was identified. */
  via: 'easy-auth' | 'bearer';
}

const OBJECT_ID = ['oid', 'http://schemas.microsoft.com/identity/claims/objectidentifier'];
const APP_ID = ['appid', 'azp'];
const TENANT_ID = ['tid', 'http://schemas.microsoft.com/identity/claims/tenantid'];
const ROLE = ['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'];

/**
 * The caller from Easy Auth's `x-ms-client-principal` (base64 JSON `{ claims: [{ typ, val }] }`),
 * or undefined when the header is absent or not well formed.
 * @example
 * callerFromPrincipal(request.headers.get('x-ms-client-principal'))?.roles.has('Executions.Read')
 */
export function callerFromPrincipal(header: string | null): Caller | undefined {
  if (!header) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  const claims = (parsed as { claims?: unknown } | null)?.claims;
  if (!Array.isArray(claims)) return undefined;
  const values = (types: string[]) =>
    claims
      .filter(
        (c): c is { typ: string; val: string } => typeof c?.typ === 'string' && typeof c?.val === 'string',
      )
      .filter((c) => types.includes(c.typ))
      .map((c) => c.val);
  return {
    objectId: values(OBJECT_ID)[0],
    appId: values(APP_ID)[0],
    tenantId: values(TENANT_ID)[0],
    roles: new Set(values(ROLE)),
    via: 'easy-auth',
  };
}

/**
 * The caller from the claims of a validated token.
 * @example
 * callerFromClaims({ oid: '…', azp: '…', roles: ['Executions.Run'] }).roles // Set { 'Executions.Run' }
 */
export function callerFromClaims(claims: Record<string, unknown>): Caller {
  const text = (names: string[]) =>
    names.map((n) => claims[n]).find((v): v is string => typeof v === 'string');
  const roles = Array.isArray(claims.roles)
    ? claims.roles.filter((r): r is string => typeof r === 'string')
    : [];
  return {
    objectId: text(OBJECT_ID),
    appId: text(APP_ID),
    tenantId: text(TENANT_ID),
    roles: new Set(roles),
    via: 'bearer',
  };
}
