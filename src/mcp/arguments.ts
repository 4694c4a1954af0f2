/**
 * @module
 * How REST names become MCP tool argument names, and back. Arguments are named as the capability
 * specs bind them (`with: id.project: tools.id.project`): a name, or a path into an object
 * argument — the Flyte tools take flyteidl's own `id: {project, domain, name}`. Route params and
 * query fields are renamed by one generic table (`id-project` → `id.project`, `sort_by.key` →
 * `sortByKey`, ...); body fields keep their names. The names the tools took before they followed
 * the specs stay accepted as deprecated aliases (`project`, `runDefinition`, `projectZipBase64`).
 *
 * A binding records, for one argument, which part of the REST request it fills and which REST
 * field paths (as the pipeline reports them in `errors[].path`) belong to it, so that a problem
 * can name the argument the agent actually sent — the spec's name, or the alias it used.
 */
import type { z } from 'zod';

/** Route params: contract spelling → argument path. Others keep their name. */
export const PARAM_ARGUMENT_NAMES: Readonly<Record<string, string>> = {
  'id-project': 'id.project',
  'id-domain': 'id.domain',
  'id-name': 'id.name',
  subscriptionid: 'subscriptionId',
  resourcegroupname: 'resourceGroupName',
  workspacename: 'workspaceName',
  experimentname: 'experimentName',
  runid: 'runId',
};

/** Query fields: REST spelling → argument path. Others keep their name (`id.org` goes into `id`). */
export const QUERY_ARGUMENT_NAMES: Readonly<Record<string, string>> = {
  'sort_by.key': 'sortByKey',
  'sort_by.direction': 'sortDirection',
};

/**
 * Argument path → the name tools took before the capability specs' names (issue 17): still
 * accepted, shown in `tools/list` as deprecated. Each alias is a top-level argument.
 */
export const DEPRECATED_ALIASES: Readonly<Record<string, string>> = {
  'id.project': 'project',
  'id.domain': 'domain',
  'id.name': 'name',
  definition: 'runDefinition',
  runDefinitionFile: 'runDefinition',
  projectZipFile: 'projectZipBase64',
  'projectZipFile.stagedZipId': 'stagedZipId',
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
  /** The argument as the capability spec names it: `runId`, or a path into an object argument, `id.project`. */
  argument: string;
  /** The deprecated top-level name also accepted for it (`project` for `id.project`). */
  alias?: string;
  target: ArgumentTarget;
  /** The schema the operation applies (shown to agents as JSON Schema). */
  schema: z.ZodType;
  required: boolean;
  /** Field paths problems report for this argument, e.g. `params.id-project`, `body.spec`. */
  restPaths: readonly string[];
}

/** The first segment of an argument path: the top-level argument it lives in (`id` of `id.project`). */
export const headOf = (argument: string): string => argument.split('.')[0] ?? argument;

/**
 * The value an argument path names in the arguments, if there is one.
 * @example
 * valueAt({ id: { project: 'p' } }, 'id.project') // 'p'
 */
export function valueAt(args: Record<string, unknown>, argument: string): unknown {
  let value: unknown = args;
  for (const key of argument.split('.')) {
    if (!isPlainObject(value)) return undefined;
    value = value[key];
  }
  return value;
}

/**
 * The bindings whose value the agent gave under the alias only (so problems name the alias).
 * @example
 * aliasesUsed(bindings, { project: 'p', domain: 'd', name: 'n' }) // Set { 'id.project', 'id.domain', 'id.name' }
 */
export function aliasesUsed(
  bindings: readonly ArgumentBinding[],
  args: Record<string, unknown>,
): Set<string> {
  const used = new Set<string>();
  for (const { argument, alias } of bindings) {
    if (alias && args[alias] !== undefined && valueAt(args, argument) === undefined) used.add(argument);
  }
  return used;
}

/**
 * The argument a REST field path belongs to, with the rest of the path kept:
 * `params.id-project` → `id.project` (or `project`, when that alias is in `viaAlias`),
 * `body.spec.launch_plan` → `spec.launch_plan`. Paths that belong to no argument are returned
 * unchanged.
 * @example
 * toArgumentPath('query.sort_by.key', bindings) // 'sortByKey'
 */
export function toArgumentPath(
  path: string,
  bindings: readonly ArgumentBinding[],
  viaAlias: ReadonlySet<string> = new Set(),
): string {
  let best: { prefix: string; binding: ArgumentBinding } | undefined;
  for (const binding of bindings) {
    for (const prefix of binding.restPaths) {
      const matches = path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
      if (matches && (!best || prefix.length > best.prefix.length)) best = { prefix, binding };
    }
  }
  if (!best) return path;
  const { argument, alias } = best.binding;
  const name = alias && viaAlias.has(argument) ? alias : argument;
  return name + path.slice(best.prefix.length);
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
 * The fields of an object schema, or throws naming the tool.
 * @example
 * Object.keys(shapeOf(executionPathSchema, 'tool x')); // ['id-project', 'id-domain', 'id-name']
 */
export function shapeOf(schema: z.ZodType, where: string): Record<string, z.ZodType> {
  const shape = objectShape((schema as unknown as ZodLike)._zod.def);
  if (!shape) throw new Error(`${where}: tool arguments need an object schema`);
  return shape;
}

/** An object's shape, through `.optional()`, `.default()` and pipes (`z.preprocess`, `.transform`). */
function objectShape(def: ZodDef): Record<string, z.ZodType> | undefined {
  if (def.type === 'object') return def.shape;
  if (!['optional', 'default', 'pipe'].includes(def.type)) return undefined;
  const inner = [def.innerType, def.in, def.out].filter((d): d is ZodLike => d !== undefined);
  for (const next of inner) {
    const shape = objectShape(next._zod.def);
    if (shape) return shape;
  }
  return undefined;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface ZodLike {
  _zod: { def: ZodDef };
}

interface ZodDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: ZodLike;
  in?: ZodLike;
  out?: ZodLike;
}
