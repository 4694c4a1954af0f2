import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROLES } from '../../src/auth/roles.js';

interface AppRole {
  id: string;
  value: string;
  allowedMemberTypes: string[];
  isEnabled: boolean;
  displayName: string;
  description: string;
}

const manifest = JSON.parse(readFileSync('infra/entra/app-roles.json', 'utf8')) as AppRole[];

describe('infra/entra/app-roles.json: the app roles an administrator declares on the API registration', () => {
  it('declares exactly the roles the code checks', () => {
    expect(manifest.map((r) => r.value).sort()).toEqual(Object.values(ROLES).sort());
  });

  it('each for people and for services (managed identities, client credentials), enabled, with a fixed id', () => {
    for (const role of manifest) {
      expect(role.allowedMemberTypes.sort()).toEqual(['Application', 'User']);
      expect(role.isEnabled).toBe(true);
      // Fixed ids: re-applying the manifest updates the roles instead of replacing them.
      expect(role.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(role.displayName.length).toBeGreaterThan(0);
      expect(role.description.length).toBeLessThanOrEqual(1000);
    }
    expect(new Set(manifest.map((r) => r.id)).size).toBe(manifest.length);
  });
});
