/**
 * Keyless by construction: on the compiled template (every module included), no output or app
 * setting carries an account key, SAS or connection string (App Insights' aside), storage never
 * accepts shared keys, and every role assignment uses one of the roles named in
 * infra/app/roles.bicep.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Expr, evaluate, requireTemplate, resourcesOfType, root, scopes, skipInfra } from './arm-template.js';

/** Role GUIDs from the one place they are defined, keyed by GUID → the role named in the comment. */
function namedRoles(): Map<string, string> {
  const lines = readFileSync(join(root, 'infra', 'app', 'roles.bicep'), 'utf8').split('\n');
  const roles = new Map<string, string>();
  lines.forEach((line, i) => {
    const m = /^\s*\w+:\s*'([0-9a-f-]{36})'/.exec(line);
    const comment = /^\s*\/\/\s*(.+?)\s+—/.exec(lines[i - 1] ?? '');
    if (m?.[1]) roles.set(m[1], comment?.[1] ?? '');
  });
  return roles;
}

const secretLooking = [
  /AccountKey=/i,
  /SharedAccessSignature/i,
  /DefaultEndpointsProtocol=/i,
  /listKeys\(/i,
  /listAccountSas\(/i,
  /listServiceSas\(/i,
  /listSecrets\(/i,
  /sig=/,
];

describe.skipIf(skipInfra)('infra: no keys anywhere', () => {
  it('no output anywhere is named like, or computed from, a key, secret or connection string', () => {
    // Prepare
    const outputs = scopes().flatMap((s) =>
      Object.entries(s.template.outputs ?? {}).map(([name, o]) => ({ path: s.path, name, o })),
    );
    // Assess
    expect(outputs.length).toBeGreaterThan(0);
    for (const { path, name, o } of outputs) {
      expect(name, `${path} output ${name}`).not.toMatch(/key|secret|password|connection|sas|token/i);
      for (const re of secretLooking) expect(JSON.stringify(o), `${path} output ${name}`).not.toMatch(re);
    }
  });

  it('the whole template never lists keys, builds a SAS or a storage connection string', () => {
    const text = JSON.stringify(requireTemplate());
    for (const re of secretLooking) expect(text).not.toMatch(re);
    // The only connection string is App Insights' (ingestion endpoint; local auth is off).
    const rest = text
      .replaceAll('APPLICATIONINSIGHTS_CONNECTION_STRING', '')
      .replace(/'Microsoft\.Insights\/components', [^)]*\)\), '2020-02-02'\)\.ConnectionString/g, '');
    expect(rest).not.toMatch(/connection_?string/i);
  });

  it('every storage account refuses shared keys and public blobs and requires TLS 1.2 over HTTPS', () => {
    const accounts = resourcesOfType('Microsoft.Storage/storageAccounts');
    expect(accounts.length).toBeGreaterThan(0);
    for (const { resource } of accounts) {
      expect(resource.properties.allowSharedKeyAccess).toBe(false);
      expect(resource.properties.allowBlobPublicAccess).toBe(false);
      expect(resource.properties.minimumTlsVersion).toBe('TLS1_2');
      expect(resource.properties.supportsHttpsTrafficOnly).toBe(true);
    }
  });

  it('storage is closed to the public network when the VNet is on', () => {
    const [{ resource, scope }] = resourcesOfType('Microsoft.Storage/storageAccounts') as [
      ReturnType<typeof resourcesOfType>[number],
    ];
    expect(evaluate(resource.properties.publicNetworkAccess, scope)).toEqual(['Disabled', 'Enabled']);
    expect(evaluate(resource.properties.networkAcls, scope)).toContainEqual({
      defaultAction: 'Deny',
      bypass: 'None',
    });
  });

  it('every role assignment uses a role named in infra/app/roles.bicep, named guid(scope, principal, role)', () => {
    // Prepare
    const roles = namedRoles();
    const assignments = resourcesOfType('Microsoft.Authorization/roleAssignments');
    const used = new Set<string>();
    // Act
    for (const { scope, resource } of assignments) {
      const ids = evaluate(resource.properties.roleDefinitionId, scope);
      // Assess: subscriptionResourceId(..., <role id>) stays opaque; its role-id argument must not.
      const text = String(resource.properties.roleDefinitionId);
      expect(text, scope.path).toMatch(
        /^\[subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions', /,
      );
      const arg = `[${text.slice(text.indexOf(', ') + 2, -2)}]`;
      const roleIds = evaluate(arg, scope);
      expect(ids.length, scope.path).toBeGreaterThan(0);
      for (const id of roleIds) {
        expect(id instanceof Expr, `${scope.path}: ${text}`).toBe(false);
        expect(roles.has(id), `${scope.path}: ${id}`).toBe(true);
        used.add(id);
      }
      expect(resource.name).toMatch(/^\[guid\(.+parameters\('principalId'\).+\)\]$/);
      expect(evaluate(resource.properties.principalType, scope).length).toBeGreaterThan(0);
    }
    // Every named role is used somewhere, and each has its comment.
    expect([...used].sort()).toEqual([...roles.keys()].sort());
    for (const [id, name] of roles) expect(name, id).not.toBe('');
  });

  it('the app identity gets its roles as a ServicePrincipal; the AzureML role is on the workspace', () => {
    const app = scopes().find((s) => s.path === '/app-roles');
    const ml = scopes().find((s) => s.path === '/azureml-roles');
    expect(app?.passed.principalType).toEqual({ value: 'ServicePrincipal' });
    const [mlAssignment] = resourcesOfType('Microsoft.Authorization/roleAssignments').filter(
      (r) => r.scope.path === '/azureml-roles',
    );
    expect(mlAssignment?.resource.properties.principalType).toBe('ServicePrincipal');
    expect(String(mlAssignment?.resource.scope)).toContain('Microsoft.MachineLearningServices/workspaces');
    expect(ml).toBeDefined();
  });
});
