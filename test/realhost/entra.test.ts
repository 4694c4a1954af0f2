/**
 * AUTH_MODE=entra under the real Functions host, against a test issuer the test controls:
 * with function keys on, the host still wants a key before the app sees the token; with
 * `FUNCTION_KEYS=off` the host registers the keyed routes anonymous and the app's Entra check
 * is the one that holds — no token 401 (with the MCP resource metadata), no role 403, a key
 * alone 401 — while a token with the role gets through with no key at all.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  describeRealHost,
  REALHOST_HOOK_TIMEOUT_MS,
  type RealHost,
  startRealHost,
} from '../helpers/realhost.js';
import { startTestIssuer, type TestIssuer } from '../helpers/test-issuer.js';

const ID = { project: 'flytesnacks', domain: 'development' };
const GET = '/v1/api/v1/executions/flytesnacks/development/entra-1';

describeRealHost('AUTH_MODE=entra under the real Functions host', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await startTestIssuer();
  });
  afterAll(async () => {
    await issuer?.close();
  });

  describe.each(['required', 'off'])('FUNCTION_KEYS=%s', (keys) => {
    let host: RealHost;
    beforeAll(async () => {
      host = await startRealHost({ env: { ...issuer.env, FUNCTION_KEYS: keys } });
    }, REALHOST_HOOK_TIMEOUT_MS);
    afterAll(async () => {
      await host?.stop();
    }, REALHOST_HOOK_TIMEOUT_MS);
    beforeEach(() => {
      host.flyte.reset();
      host.flyte.seed([{ ...ID, name: 'entra-1', phase: 'RUNNING' }]);
      host.flyte.requests.length = 0;
    });

    it('a token with the role and a key: 200, the upstream reached', async () => {
      // Act
      const res = await host.call('GET', GET, { headers: await issuer.bearer(['Executions.Read']) });
      // Assess
      expect(res.status, res.text).toBe(200);
      expect(host.flyte.requests.map((r) => r.path)).toEqual([
        `/api/v1/executions/flytesnacks/development/entra-1`,
      ]);
    });

    it('a token with the role and no key: 401 from the host with keys, 200 without', async () => {
      // Act
      const res = await host.call('GET', GET, {
        key: 'none',
        headers: await issuer.bearer(['Executions.Read']),
      });
      // Assess
      expect(res.status, res.text).toBe(keys === 'off' ? 200 : 401);
      expect(host.flyte.requests).toHaveLength(keys === 'off' ? 1 : 0);
    });

    it('a key and no token: 401 from the app, pointing at the protected-resource metadata', async () => {
      // Act
      const res = await host.call('GET', GET);
      // Assess
      expect(res.status).toBe(401);
      expect(res.json()).toMatchObject({ type: '/problems/unauthenticated' });
      expect(res.headers.get('www-authenticate')).toMatch(
        /^Bearer resource_metadata=".*\/\.well-known\/oauth-protected-resource"$/,
      );
      expect(host.flyte.requests).toEqual([]);
    });

    it('a forged x-ms-client-principal with the role (Easy Auth off): 401, nothing upstream', async () => {
      // Prepare
      const principal = Buffer.from(
        JSON.stringify({
          claims: [
            { typ: 'roles', val: 'Executions.Read' },
            { typ: 'oid', val: 'x' },
          ],
        }),
      ).toString('base64');
      // Act
      const res = await host.call('GET', GET, {
        key: 'none',
        headers: { 'x-ms-client-principal': principal },
      });
      // Assess
      expect(res.status).toBe(401);
      expect(host.flyte.requests).toEqual([]);
    });

    it('a token without the role: 403 role-required, nothing upstream', async () => {
      // Act
      const res = await host.call('GET', GET, {
        key: keys === 'off' ? 'none' : 'header',
        headers: await issuer.bearer(['Executions.Run']),
      });
      // Assess
      expect(res.status).toBe(403);
      expect(res.json()).toMatchObject({ type: '/problems/role-required' });
      expect(host.flyte.requests).toEqual([]);
    });
  });
});
