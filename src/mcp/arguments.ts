/**
 * @module
 * How REST names become MCP tool argument names, and back. Route params and query fields are
 * renamed by one generic table (`id-project` → `project`, `sort_by.key` → `sortByKey`, ...);
 * body fields keep their names. A binding records, for one argument, which part of the REST
 * request it fills and which REST field paths (as the pipeline reports them in `errors[].path`)
 * belong to it, so that a problem can name the argument the agent actually sent.
 */
import type { z } from 'zod';

/** Route params: contract spelling → argument name. Others keep their name. */
export const PARAM_ARGUMENT_NAMES: Readonly<Record<string, string>> = {
  'id-project': 'project',
  'id-domain': 'domain',
  'id-name': 'name',
  subscriptionid: 'subscriptionId',
  resourcegroupname: 'resourceGroupName',
  workspacename: 'workspaceName',
  experimentname: 'experimentName',
  runid: 'runId',
};

/** Query fields: REST spelling → argument name. Others keep their name. */
export const QUERY_ARGUMENT_NAMES: Readonly<Record<string, string>> = {
  'sort_by.key': 'sortByKey',
  'sort_by.direction': 'sortDirection',
};

/**
 * Where an argument goes: a route param, a query field, a field of the JSON body, the whole
 * JSON body, or one part of an upload body (`tool.upload` names which).
 */
export type ArgumentTarget =
  | { part: 'params' | 'query' | 'body-field'; field: string }
  | { part: 'body' }
  | { part: 'upload' };

export interface ArgumentBinding {
  /** The tool argument name. */
  argument: string;
  target: ArgumentTarget;
  /** The schema the operation applies (shown to agents as JSON Schema). */
  schema: z.ZodType;
  required: boolean;
  /** Field paths problems report for this argument, e.g. `params.id-project`, `body.spec`. */
  restPaths: readonly string[];
}

/**
 * The argument a REST field path belongs to, with the rest of the path kept:
 * `params.id-project` → `project`, `body.spec.launch_plan` → `spec.launch_plan`.
 * Paths that belong to no argument are returned unchanged.
 * @example
 * toArgumentPath('query.sort_by.key', bindings) // 'sortByKey'
 */
export function toArgumentPath(path: string, bindings: readonly ArgumentBinding[]): string {
  let best: { prefix: string; argument: string } | undefined;
  for (const binding of bindings) {
    for (const prefix of binding.restPaths) {
      const matches = path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
      if (matches && (!best || prefix.length > best.prefix.length))
        best = { prefix, argument: binding.argument };
    }
  }
  return best ? best.argument + path.slice(best.prefix.length) : path;
}

/**
 * Is a value of this schema required (leaving it out fails; a default or `.optional()` passes)?
 * @example
 * isRequired(projectSchema); // true
 */
export function isRequired(schema: z.ZodType): boolean {
  return !schema.safeParse(undefined).success;
}

/**
 * The fields of an object schema (looking through `.optional()`), or throws naming the tool.
 * @example
 * Object.keys(shapeOf(executionPathSchema, 'tool x')); // ['id-project', 'id-domain', 'id-name']
 */
export function shapeOf(schema: z.ZodType, where: string): Record<string, z.ZodType> {
  let def = (schema as unknown as { _zod: { def: ZodDef } })._zod.def;
  while (def.type === 'optional' && def.innerType) def = def.innerType._zod.def;
  if (def.type !== 'object' || !def.shape) throw new Error(`${where}: tool arguments need an object schema`);
  return def.shape;
}

interface ZodDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: { _zod: { def: ZodDef } };
}
