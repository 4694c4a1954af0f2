import { describe, expect, it } from 'vitest';
import type { Caller } from '../../src/auth/caller.js';
import { SHARED_OWNER, stagingOwner } from '../../src/auth/owner.js';

const request = (headers: Record<string, string>, url = 'http://gw/v1/uploads') => ({
  headers: new Headers(headers),
  url,
});
const caller = (fields: Partial<Caller>): Caller => ({ roles: new Set(), via: 'bearer', ...fields });

describe('stagingOwner: whose staged zips a request may use', () => {
  it('a function key is the owner, the same in the header and in ?code= (any case), as a digest only', () => {
    // Act
    const header = stagingOwner(request({ 'x-functions-key': 'k1' }));
    const query = stagingOwner(request({}, 'http://gw/v1/uploads?CODE=k1'));
    const other = stagingOwner(request({ 'x-functions-key': 'k2' }));
    // Assess
    expect(header).toMatch(/^k-[0-9a-f]{32}$/);
    expect(query).toBe(header);
    expect(other).not.toBe(header);
    expect(header).not.toContain('k1');
  });

  it('the header wins over ?code=, as the host reads them', () => {
    expect(stagingOwner(request({ 'x-functions-key': 'k1' }, 'http://gw/x?code=k2'))).toBe(
      stagingOwner(request({ 'x-functions-key': 'k1' })),
    );
  });

  it('an Entra caller is the owner (tenant and object id), whatever key also came along', () => {
    // Act
    const alice = stagingOwner(
      request({ 'x-functions-key': 'k1' }),
      caller({ tenantId: 't', objectId: 'a' }),
    );
    const bob = stagingOwner(request({ 'x-functions-key': 'k1' }), caller({ tenantId: 't', objectId: 'b' }));
    const aliceElsewhere = stagingOwner(request({}), caller({ tenantId: 'u', objectId: 'a' }));
    const appOnly = stagingOwner(request({}), caller({ tenantId: 't', appId: 'a' }));
    // Assess
    expect(alice).toMatch(/^e-[0-9a-f]{32}$/);
    expect(new Set([alice, bob, aliceElsewhere, appOnly]).size).toBe(4);
    expect(stagingOwner(request({}), caller({ tenantId: 't', objectId: 'a' }))).toBe(alice);
  });

  it('no key and no caller (npm start checks no key): the one shared owner', () => {
    expect(stagingOwner(request({}))).toBe(SHARED_OWNER);
  });
});
