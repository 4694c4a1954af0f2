/**
 * The capability specs are the contract: every REST path, method and operation name, every
 * MCP tool name and hint in `shared/specs/capabilities/*.yaml` must be in the catalog, and
 * the route table (what Functions and the local host register) must serve each of them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { routeTable } from '../../src/app.js';
import { operations } from '../../src/catalog/index.js';
import { loadSettings } from '../../src/config.js';
import { deriveTools } from '../../src/mcp/tools.js';
import { specPath } from '../helpers/shared-paths.js';

interface CapabilitySpec {
  capability: {
    exposes: Array<
      | {
          type: 'rest';
          resources: Array<{ path: string; operations: Array<{ method: string; name: string }> }>;
        }
      | {
          type: 'mcp';
          tools: Array<{
            name: string;
            description: string;
            call: string;
            hints: { readOnly: boolean; destructive: boolean; idempotent: boolean };
            with?: Record<string, string>;
          }>;
        }
    >;
    consumes: Array<{
      resources: Array<{ path: string; operations: Array<{ method: string; name: string }> }>;
    }>;
  };
}

const load = (file: string) => parse(readFileSync(specPath('capabilities', file), 'utf8')) as CapabilitySpec;

const specs = [
  { file: 'admin-executions.yaml', capability: 'flyte' as const },
  { file: 'execution-service-execution.yaml', capability: 'azureml' as const },
];

describe.each(specs)('contract: $file', ({ file, capability }) => {
  const spec = load(file);
  const rest = spec.capability.exposes.flatMap((e) =>
    e.type === 'rest' ? e.resources.flatMap((r) => r.operations.map((o) => ({ ...o, path: r.path }))) : [],
  );
  const tools = spec.capability.exposes.flatMap((e) => (e.type === 'mcp' ? e.tools : []));
  const ours = operations.filter((op) => op.capability === capability);

  it.each(rest)('serves $method $path as $name', ({ method, path, name }) => {
    const op = operations.find((o) => o.operationId === name);
    expect(op, `operation ${name} missing from the catalog`).toBeDefined();
    expect(op?.rest).toEqual({ method, path });
  });

  it.each(tools)('exposes MCP tool $name with the contract hints', (tool) => {
    const seed = tool.call.split('.').pop();
    const op = operations.find((o) => o.tool.name === tool.name);
    expect(op, `tool ${tool.name} missing from the catalog`).toBeDefined();
    expect(op?.operationId).toBe(seed);
    expect(op?.tool.hints).toEqual(tool.hints);
    expect(op?.description).toBe(tool.description);
  });

  it.each(tools)('MCP tool $name takes the arguments its with: binds, by the spec names', (tool) => {
    // Prepare: `with: id.project: tools.id.project` binds the tool argument path `id.project`
    const bound = Object.values(tool.with ?? {}).map((value) => value.replace(/^tools\./, ''));
    // Act
    const derived = deriveTools(operations, loadSettings({})).find((t) => t.name === tool.name);
    // Assess
    const argumentsOf = derived?.bindings.map((b) => b.argument) ?? [];
    for (const path of bound) expect(argumentsOf, `${tool.name}: ${path}`).toContain(path);
    const schema = z.toJSONSchema(derived?.inputSchema ?? z.object({})) as {
      properties: Record<string, { properties?: Record<string, unknown>; deprecated?: boolean }>;
    };
    for (const path of bound) {
      const [head, field] = path.split('.') as [string, string | undefined];
      expect(schema.properties[head]?.deprecated, `${tool.name}: ${head}`).toBeUndefined();
      if (field) expect(schema.properties[head]?.properties?.[field], `${tool.name}: ${path}`).toBeDefined();
    }
  });

  it('has no operation the contract does not list', () => {
    // Prepare
    const contractNames = rest.map((r) => r.name).sort();
    // Act
    const catalogNames = ours.map((op) => op.operationId).sort();
    // Assess
    expect(catalogNames).toEqual(contractNames);
    expect(ours.map((op) => op.tool.name).sort()).toEqual(tools.map((t) => t.name).sort());
  });

  it('registers every contract route with its method, by operation name', () => {
    const table = routeTable();
    for (const { method, path, name } of rest) {
      const route = table.find((r) => r.name === name);
      expect(route, `no registration for ${name}`).toBeDefined();
      expect(route?.methods).toEqual([method]);
      expect(`/${route?.route}`).toBe(path);
    }
  });

  it('declares idempotency consistently with the contract hints', () => {
    for (const op of ours) expect(op.idempotent, op.operationId).toBe(op.tool.hints.idempotent);
  });
});

describe('contract: host.json serves the spec paths without a prefix', () => {
  it('sets extensions.http.routePrefix to ""', () => {
    const host = JSON.parse(readFileSync(`${__dirname}/../../host.json`, 'utf8'));
    expect(host.version).toBe('2.0');
    expect(host.extensions.http.routePrefix).toBe('');
    expect(host.extensionBundle.version).toBe('[4.*, 5.0.0)');
  });
});
