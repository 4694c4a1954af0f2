/**
 * Entra token validation against a test issuer the test controls: its own RSA keys, its JWKS
 * served over real HTTP on loopback, tokens signed by jose. A valid token gives the caller and
 * its roles; another audience, another tenant, another issuer's key, an expired token, an
 * unsigned one and no token are each a 401 that names the rule, never the token.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callerFromPrincipal } from '../../src/auth/caller.js';
import { type EntraTokenRules, verifyEntraToken } from '../../src/auth/entra-token.js';
import { UnauthenticatedError } from '../../src/problems/errors.js';

type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' }});
type SigningKey = Awaited<ReturnType<Jose['generateKeyPair']>>['privateKey'];
const TENANT = '11111111-2222-3333-4444-555555555555';
const AUDIENCE = 'api://execution-gateway-test';
let jose: Jose;
let server: Server;
let rules: EntraTokenRules;
let signingKey: SigningKey;
let strangerKey: SigningKey;

beforeAll(async () => {
  jose = await import('jose');
  const pair = await jose.generateKeyPair('RS256', { extractable: true });
  signingKey = pair.privateKey;
  strangerKey = (await jose.generateKeyPair('RS256')).privateKey;
  const jwk = { ...(await jose.exportJWK(pair.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  server = createServer((_req, res) =>
    res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] })),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  rules = {
    issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
    audiences: [AUDIENCE],
    jwksUri: `http://127.0.0.1:${port}/keys`,
    tenantId: TENANT,
  };
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function token(
  claims: Record<string, unknown> = {},
  options: { key?: SigningKey; issuer?: string; audience?: string; expires?: string } = {},
): Promise<string> {
  return new jose.SignJWT({ oid: 'oid-1', azp: 'app-1', tid: TENANT, roles: ['Executions.Read'], ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
    .setIssuer(options.issuer ?? rules.issuer)
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.expires ?? '5m')
    .sign(options.key ?? signingKey);
}

async function refusal(authorization: string | null): Promise<UnauthenticatedError> {
  const error = await verifyEntraToken(authorization, rules).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UnauthenticatedError);
  return error as UnauthenticatedError;
}

describe('verifyEntraToken', () => {
  it('a valid token gives the caller: object id, app id, tenant, roles', async () => {
    // Act
    const caller = await verifyEntraToken(
      `Bearer ${await token({ roles: ['Executions.Read', 'Executions.Run'] })}`,
      rules,
    );

    // Assess
    expect(caller).toEqual({
      objectId: 'oid-1',
      appId: 'app-1',
      tenantId: TENANT,
      roles: new Set(['Executions.Read', 'Executions.Run']),
      via: 'bearer',
    });
  });

  it.each([
    ['no Authorization header', async () => null, /bearer token .* is required/],
    ['not a bearer scheme', async () => `Basic ${Buffer.from('a:b').toString('base64')}`, /is required/],
    [
      'another audience',
      async () => `Bearer ${await token({}, { audience: 'api://someone-else' })}`,
      /ERR_JWT_CLAIM_VALIDATION_FAILED: aud/,
    ],
    [
      'another issuer (tenant)',
      async () => `Bearer ${await token({}, { issuer: 'https://login.microsoftonline.com/other/v2.0' })}`,
      /ERR_JWT_CLAIM_VALIDATION_FAILED: iss/,
    ],
    [
      'a tid claim of another tenant',
      async () => `Bearer ${await token({ tid: 'other-tenant' })}`,
      /another tenant/,
    ],
    ['expired', async () => `Bearer ${await token({}, { expires: '-10m' })}`, /ERR_JWT_EXPIRED/],
    [
      'signed by a key the issuer does not publish',
      async () => `Bearer ${await token({}, { key: strangerKey })}`,
      /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/,
    ],
    [
      'unsigned (alg none)',
      async () =>
        `Bearer ${new jose.UnsecuredJWT({ tid: TENANT }).setIssuer(rules.issuer).setAudience(AUDIENCE).encode()}`,
      /refused/,
    ],
  ])('refuses %s with 401 naming the rule, not the token', async (_case, authorization, reason) => {
    // Act
    const header = await authorization();
    const error = await refusal(header);

    // Assess
    expect(error.status).toBe(401);
    expect(error.detail).toMatch(reason);
    expect(error.headers['WWW-Authenticate']).toBe('Bearer');
    const raw = header?.split(' ')[1];
    if (raw) expect(error.detail).not.toContain(raw.slice(0, 20));
  });
});

describe('callerFromPrincipal (Easy Auth header)', () => {
  const principal = (claims: { typ: string; val: string }[]) =>
    Buffer.from(JSON.stringify({ auth_typ: 'aad', claims })).toString('base64');

  it('reads mapped claim names and both role spellings', () => {
    // Act
    const caller = callerFromPrincipal(
      principal([
        { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: 'oid-9' },
        { typ: 'appid', val: 'app-9' },
        { typ: 'http://schemas.microsoft.com/identity/claims/tenantid', val: TENANT },
        { typ: 'roles', val: 'Executions.Read' },
        { typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role', val: 'Executions.Cancel' },
      ]),
    );

    // Assess
    expect(caller).toEqual({
      objectId: 'oid-9',
      appId: 'app-9',
      tenantId: TENANT,
      roles: new Set(['Executions.Read', 'Executions.Cancel']),
      via: 'easy-auth',
    });
  });

  it.each([
    ['absent', null],
    ['not base64 JSON', '%%%'],
    ['JSON without claims', Buffer.from('{"auth_typ":"aad"}').toString('base64')],
  ])('is undefined when the header is %s', (_case, header) => {
    expect(callerFromPrincipal(header)).toBeUndefined();
  });
});
