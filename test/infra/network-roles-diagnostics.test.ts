/**
 * The compiled template deployed with concrete parameters: both network options (the upload
 * path each one leaves callers, the private endpoints), the Azure ML role as an option with its
 * manual alternative, the deployer's principal type from azd, least-privilege storage roles and
 * diagnostic settings to Log Analytics.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  deployed,
  evaluate,
  evaluateOne,
  type Json,
  requireTemplate,
  resourcesOfType,
  root,
  type Scope,
  scopes,
  skipInfra,
} from './arm-template.js';

const WORKSPACE_ID =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ws-demo';
const ROLE = {
  dataScientist: 'f6c7c914-8db3-469d-8ca1-694a8f32e121',
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  delegator: 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a',
};

/** One deployment: which modules it deploys, and the app settings it gives the app. */
function deployment(given: Record<string, Json>) {
  const all = scopes(requireTemplate(), { environmentName: 'env', location: 'westeurope', ...given });
  const main = all[0] as Scope;
  const modules = new Map<string, boolean | undefined>();
  for (const r of main.template.resources as Json[]) {
    if (r.type === 'Microsoft.Resources/deployments') modules.set(String(r.name), deployed(r, main));
  }
  const api = all.find((s) => s.path === '/api') as Scope;
  const config = (api.template.resources as Json[]).find((r) => String(r.name).includes("'appsettings'"));
  const [settings] = evaluate(config.properties, api) as Record<string, Json>[];
  const setting = (key: string) => evaluateOne(settings?.[key], api);
  return { all, modules, setting };
}

describe.skipIf(skipInfra)('infra: network options, roles, diagnostics', () => {
  it('public network (default): storage endpoints public, upload slots on', () => {
    const { modules, setting } = deployment({});
    expect(modules.get('vnet')).toBe(false);
    expect(modules.get('storage-private-endpoints')).toBe(false);
    expect(modules.get('azureml-private-endpoint')).toBe(false);
    expect(setting('UPLOAD_SLOTS')).toBe('on');
    expect(requireTemplate().outputs.UPLOAD_SLOTS).toBeDefined();
  });

  it('VNet: storage only through private endpoints, upload slots off (zips go inline), unless asked for', () => {
    const vnet = deployment({ vnetEnabled: true });
    expect(vnet.modules.get('vnet')).toBe(true);
    expect(vnet.modules.get('storage-private-endpoints')).toBe(true);
    expect(vnet.setting('UPLOAD_SLOTS')).toBe('off');
    const storage = vnet.all.find((s) => s.path === '/storage') as Scope;
    const account = (storage.template.resources as Json[]).find(
      (r) => r.type === 'Microsoft.Storage/storageAccounts',
    );
    expect(evaluateOne(account.properties.publicNetworkAccess, storage)).toBe('Disabled');
    // Callers inside the VNet (or a peered one) resolving the privatelink blob zone may use slots.
    expect(deployment({ vnetEnabled: true, uploadSlots: 'on' }).setting('UPLOAD_SLOTS')).toBe('on');
    expect(deployment({ uploadSlots: 'off' }).setting('UPLOAD_SLOTS')).toBe('off');
  });

  it('a private endpoint to a private-link Azure ML workspace only with the VNet, the workspace and the option', () => {
    const withEndpoint = {
      vnetEnabled: true,
      azureMlWorkspaceId: WORKSPACE_ID,
      azureMlPrivateEndpoint: true,
    };
    expect(deployment(withEndpoint).modules.get('azureml-private-endpoint')).toBe(true);
    expect(deployment({ ...withEndpoint, vnetEnabled: false }).modules.get('azureml-private-endpoint')).toBe(
      false,
    );
    expect(
      deployment({ ...withEndpoint, azureMlPrivateEndpoint: false }).modules.get('azureml-private-endpoint'),
    ).toBe(false);
    const endpoints = resourcesOfType('Microsoft.Network/privateEndpoints').filter(
      (r) => r.scope.path === '/azureml-private-endpoint',
    );
    expect(endpoints).toHaveLength(1);
    const scope = endpoints[0]?.scope as Scope;
    expect(scope.template.variables.connection[0].properties.groupIds).toEqual(['amlworkspace']);
    const zones = resourcesOfType('Microsoft.Network/privateDnsZones').filter(
      (r) => r.scope.path === '/azureml-private-endpoint',
    );
    expect(zones).toHaveLength(1); // one copy loop over the two zones
    expect(zones[0]?.scope.template.variables.zoneNames).toEqual([
      'privatelink.api.azureml.ms',
      'privatelink.notebooks.azure.net',
    ]);
  });

  it('the Azure ML role assignment is an option, on by default; off leaves the workspace alone', () => {
    expect(requireTemplate().parameters.azureMlRoleAssignment.defaultValue).toBe(true);
    expect(deployment({ azureMlWorkspaceId: WORKSPACE_ID }).modules.get('azureml-roles')).toBe(true);
    expect(
      deployment({ azureMlWorkspaceId: WORKSPACE_ID, azureMlRoleAssignment: false }).modules.get(
        'azureml-roles',
      ),
    ).toBe(false);
    expect(deployment({}).modules.get('azureml-roles')).toBe(false);
    // The manual alternative names the same role, and the output gives the principal to grant it to.
    const readme = readFileSync(join(root, 'infra', 'README.md'), 'utf8');
    const command = /```bash\n(az role assignment create[^`]+)```/.exec(readme)?.[1] ?? '';
    expect(command).toContain(`--role ${ROLE.dataScientist}`);
    expect(command).toContain(`--role ${ROLE.reader}`);
    expect(command).toContain('--assignee-principal-type ServicePrincipal');
    expect(command).toContain('--assignee-object-id <AZURE_USER_ASSIGNED_IDENTITY_PRINCIPAL_ID>');
    expect(command).toContain(
      '--scope /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.MachineLearningServices/workspaces/<ws>',
    );
    expect(requireTemplate().outputs.AZURE_USER_ASSIGNED_IDENTITY_PRINCIPAL_ID).toBeDefined();
  });

  it("the deploying principal's type comes from azd's AZURE_PRINCIPAL_TYPE", () => {
    const params = JSON.parse(readFileSync(join(root, 'infra', 'main.parameters.json'), 'utf8')).parameters;
    // azd's own substitution syntax, not a template string.
    expect(params.principalType).toEqual({ value: ['$', '{AZURE_PRINCIPAL_TYPE}'].join('') });
    const typeOf = (given: Record<string, Json>) => {
      const user = deployment({ principalId: '11111111-1111-1111-1111-111111111111', ...given }).all.find(
        (s) => s.path === '/user-roles',
      ) as Scope;
      return evaluateOne(user.passed.principalType?.value, user.parent as Scope);
    };
    expect(typeOf({ principalType: 'ServicePrincipal' })).toBe('ServicePrincipal');
    expect(typeOf({ principalType: 'User' })).toBe('User');
    expect(typeOf({ principalType: '' })).toBe('User');
  });

  it('least privilege: no Storage Blob Delegator (Blob Data Owner carries the delegation key), no control-plane role', () => {
    const roleIds = resourcesOfType('Microsoft.Authorization/roleAssignments').map((r) =>
      String(r.resource.properties.roleDefinitionId),
    );
    expect(roleIds.join('\n')).not.toContain('storageBlobDelegator');
    expect(JSON.stringify(requireTemplate())).not.toContain(ROLE.delegator);
    // Every assignment in app/rbac.bicep carries its reason in a comment right above it.
    const source = readFileSync(join(root, 'infra', 'app', 'rbac.bicep'), 'utf8').split('\n');
    const assignments = source.flatMap((line, i) =>
      line.startsWith('resource ') && line.includes('roleAssignments') ? [i] : [],
    );
    expect(assignments).toHaveLength(4);
    for (const i of assignments) expect(source[i - 1], source[i]).toMatch(/^\/\/ /);
  });

  it('the Function App and the storage services send logs and metrics to the Log Analytics workspace', () => {
    const diagnostics = resourcesOfType('Microsoft.Insights/diagnosticSettings');
    const byScope = new Map(diagnostics.map((d) => [`${d.scope.path} ${d.resource.scope}`, d]));
    expect([...byScope.keys()].sort()).toEqual(
      [
        "/api [resourceId('Microsoft.Web/sites', parameters('name'))]",
        "/storage [resourceId('Microsoft.Storage/storageAccounts', parameters('name'))]",
        "/storage [resourceId('Microsoft.Storage/storageAccounts/blobServices', parameters('name'), 'default')]",
        "/storage [resourceId('Microsoft.Storage/storageAccounts/queueServices', parameters('name'), 'default')]",
        "/storage [resourceId('Microsoft.Storage/storageAccounts/tableServices', parameters('name'), 'default')]",
      ].sort(),
    );
    for (const { resource, scope } of diagnostics) {
      expect(evaluateOne(resource.properties.workspaceId, scope), scope.path).toBeDefined();
      expect(JSON.stringify(resource.properties.workspaceId)).toContain('logAnalyticsWorkspaceId');
      expect(String(scope.passed.logAnalyticsWorkspaceId?.value)).toContain('logAnalyticsId');
    }
    const app = diagnostics.find((d) => d.scope.path === '/api');
    expect(app?.resource.properties.logs).toEqual([{ category: 'FunctionAppLogs', enabled: true }]);
  });
});
