/**
 * Helpers for the MCP suites: a real SDK `Client` over streamable HTTP connected to a
 * running gateway's `/mcp`, the problem carried by an `isError` result, the tool contract read
 * from the capability specs, and raw POSTs for protocol-level cases.
 * @example
 * const client = await connectMcp(gw);
 * const result = await client.callTool({ name: 'retrieve-workflow-execution', arguments });
 */
import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { parse } from 'yaml';
import { EXPERIMENT } from './azureml-requests.js';
import { WORKSPACE } from './gateway.js';
import { specPath } from './shared-paths.js';

export const MCP_ACCEPT = 'application/json, text/event-stream';

/**
 * Flyte arguments of the suites' project and domain, under the names the tools took before the
 * capability specs' (`project`, `domain`: deprecated aliases of `id.project`, `id.domain`).
 */
export const FLYTE_ID = { project: 'flytesnacks', domain: 'development' };

/** The suites' project and domain as the capability spec binds them: `id: {project, domain}`. */
export const flyteId = (name?: string) => ({ id: { ...FLYTE_ID, ...(name === undefined ? {} : { name }) } });

/** Azure ML arguments naming the allow-listed workspace and the suites' experiment. */
export const AZUREML_SCOPE = {
  subscriptionId: WORKSPACE.subscription,
  resourceGroupName: WORKSPACE.resourceGroup,
  workspaceName: WORKSPACE.workspace,
  experimentName: EXPERIMENT,
};

/** Connects (initialize + initialized) with the given extra request headers. */
export async function connectMcp(gw: { url: string }, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'gateway-tests', version: '0.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers } });
  await client.connect(transport);
  return client;
}

export interface ContractTool {
  name: string;
  description: string;
  hints: { readOnly: boolean; destructive: boolean; idempotent: boolean };
  /** The argument paths its `with:` binds (`tools.id.project` → `id.project`); empty without one. */
  arguments: string[];
}

/** Every MCP tool of both capability specs, as the contract fixes them. */
export function contractTools(): ContractTool[] {
  return ['admin-executions.yaml', 'execution-service-execution.yaml'].flatMap((file) => {
    const spec = parse(readFileSync(specPath('capabilities', file), 'utf8'));
    // biome-ignore lint/suspicious/noExplicitAny: the spec is checked by the assertions that use it
    const mcp = spec.capability.exposes.find((e: any) => e.type === 'mcp');
    // biome-ignore lint/suspicious/noExplicitAny: idem
    return mcp.tools.map((t: any) => ({
      name: t.name,
      description: t.description,
      hints: t.hints,
      arguments: Object.values(t.with ?? {}).map((v) => String(v).replace(/^tools\./, '')),
    }));
  });
}

interface ToolResultLike {
  isError?: boolean;
  content?: unknown;
  structuredContent?: unknown;
}

/** The problem in an `isError` result's text (which must equal its structuredContent). */
// biome-ignore lint/suspicious/noExplicitAny: answers are checked by expect(), not by types
export function problemOf(answer: object): any {
  const result = answer as ToolResultLike;
  const [first] = result.content as { type: string; text?: string }[];
  if (!result.isError || first?.type !== 'text' || first.text === undefined) {
    throw new Error(`not an isError text result: ${JSON.stringify(result).slice(0, 500)}`);
  }
  return JSON.parse(first.text);
}

/** The parsed JSON text of a successful result. */
// biome-ignore lint/suspicious/noExplicitAny: answers are checked by expect(), not by types
export function jsonOf(answer: object): any {
  const result = answer as ToolResultLike;
  const [first] = result.content as { type: string; text?: string }[];
  if (result.isError || first?.type !== 'text' || first.text === undefined) {
    throw new Error(`not a successful text result: ${JSON.stringify(result).slice(0, 500)}`);
  }
  return JSON.parse(first.text);
}

/** A raw request to `/mcp` (for protocol faults no SDK client would send). */
export async function rawMcp(
  gw: { url: string },
  method: string,
  body?: string,
  headers: Record<string, string> = {},
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked by expect(), not by types
): Promise<{ status: number; headers: Headers; text: string; json: () => any }> {
  const response = await fetch(`${gw.url}/mcp`, {
    method,
    headers: { accept: MCP_ACCEPT, 'content-type': 'application/json', ...headers },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}
