/**
 * An Entra ID look-alike the tests control: its own RSA key, its JWKS served on loopback, and
 * tokens signed with it for the tenant, issuer and audience the gateway is configured with.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' }});

const TEST_TENANT = '11111111-2222-3333-4444-555555555555';
export const TEST_AUDIENCE = 'api://execution-gateway-test';
export const TEST_ISSUER = `https://login.microsoftonline.com/${TEST_TENANT}/v2.0`;

export interface TestIssuer {
  /** The gateway's AUTH_MODE=entra settings for this issuer. */
  env: Record<string, string>;
  /** `authorization: Bearer <token>` for a caller with these roles. */
  bearer(
    roles: string[],
    options?: { audience?: string; expires?: string; oid?: string; tenant?: string },
  ): Promise<{ authorization: string }>;
  close(): Promise<void>;
}

/**
 * @example
 * const issuer = await startTestIssuer();
 * const gw = await startGateway({ env: issuer.env });
 * await call(gw, 'GET', path, undefined, await issuer.bearer(['Executions.Read']));
 */
export async function startTestIssuer(): Promise<TestIssuer> {
  const jose: Jose = await import('jose');
  const { privateKey, publicKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const server = createServer((_req, res) =>
    res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] })),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    env: {
      AUTH_MODE: 'entra',
      ENTRA_TENANT_ID: TEST_TENANT,
      ENTRA_AUDIENCES: TEST_AUDIENCE,
      ENTRA_ISSUER: TEST_ISSUER,
      ENTRA_JWKS_URI: `http://127.0.0.1:${port}/keys`,
    },
    async bearer(roles, options = {}) {
      // Another tenant's token: its own tid and issuer (signed by the same key, so only those differ).
      const tenant = options.tenant ?? TEST_TENANT;
      const claims = { oid: options.oid ?? 'oid-caller', azp: 'app-caller', tid: tenant, roles };
      const token = await new jose.SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(`https://login.microsoftonline.com/${tenant}/v2.0`)
        .setAudience(options.audience ?? TEST_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(options.expires ?? '5m')
        .sign(privateKey);
      return { authorization: `Bearer ${token}` };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
