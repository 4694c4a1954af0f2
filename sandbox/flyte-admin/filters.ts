/**
 * flyteadmin's list-filter language (`util.ParseFilters` + `common.NewInlineFilter`) and an evaluator that
 * stands in for the SQL it would generate. Grammar: `func(field,value)` expressions joined by `+`, list
 * values joined by `;`, field optionally prefixed by an entity (`launch_plan.name`). Parse errors are the
 * same 400s flyteadmin returns; a value the column type cannot hold is the 500 Postgres would cause.
 * @module
 */
import { type Cell, COLUMNS, type ColumnType, type ExecutionRow, joinedRows } from './columns.js';
import { GrpcCode } from './constants.js';
import { timestampToMs } from './proto-value.js';
import { badRequest, invalidArgument, StatusError } from './status-error.js';
import type { ExecutionStore } from './store.js';

/** Filter functions and whether they take one value or a list (`singleValueFilters`/`repeatedValueFilters`). */
const FUNCTIONS = {
  contains: { arity: 'single', label: 'contains' },
  not_like: { arity: 'single', label: 'not like' },
  gt: { arity: 'single', label: 'greater than' },
  gte: { arity: 'single', label: 'greater than or equal' },
  lt: { arity: 'single', label: 'less than' },
  lte: { arity: 'single', label: 'less than or equal' },
  eq: { arity: 'single', label: 'equal' },
  ne: { arity: 'single', label: 'not equal' },
  value_in: { arity: 'repeated', label: 'value in' },
  value_not_in: { arity: 'repeated', label: 'value not in' },
} as const;
export type FilterFunction = keyof typeof FUNCTIONS;

/** Field prefixes that reference another entity (`filterFieldEntityPrefix`). */
const ENTITY_PREFIXES: Readonly<Record<string, string>> = {
  task: 't',
  workflow: 'w',
  launch_plan: 'l',
  execution: 'e',
  node_execution: 'ne',
  task_execution: 'te',
  entities: 'nen',
  named_entity_metadata: 'nem',
  project: 'p',
  signal: 's',
  admin_tag: 'at',
  execution_admin_tag: 'eat',
  execution_tag: 'et',
};
/** Entities an execution list may join (`allowedJoinEntities[Execution]`). */
const EXECUTION_JOINS: ReadonlySet<string> = new Set(['e', 'l', 'w', 't', 'at', 'et']);

/** Matches `func(field,value)` and `func(field, value)`; unanchored and greedy, like the Go regexp. */
const FILTER_RE = /(.+)\((.+),\s?(.+)\)/;

export interface InlineFilter {
  entity: string;
  field: string;
  fn: FilterFunction;
  values: string[];
}

/** Go's `time.ParseDuration`, in milliseconds. */
function goDurationMs(text: string): number | undefined {
  const units: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    μs: 1e-3,
    ms: 1,
    s: 1e3,
    m: 6e4,
    h: 3.6e6,
  };
  const match = /^([-+]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+|0)$/.exec(text);
  if (!match) return undefined;
  let total = 0;
  for (const part of (match[2] ?? '').matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(part[1]) * (units[part[2] ?? 's'] ?? 0);
  }
  return match[1] === '-' ? -total : total;
}

/** Durations accept plain seconds (`60`) or Go durations (`1m30s`); stored as milliseconds text. */
function prepareDuration(value: string): string {
  const seconds = Number(value);
  const ms = value.trim() !== '' && Number.isFinite(seconds) ? seconds * 1000 : goDurationMs(value);
  if (ms === undefined) throw badRequest(`Failed to parse duration [${value}]`);
  return String(ms);
}

/** Equality on an identifier column, as admin adds for `id.project`, `id.domain` and `id.name`. */
export function equalityFilter(field: string, value: string): InlineFilter {
  return { entity: 'e', field, fn: 'eq', values: [value] };
}

/**
 * Parses the `filters` query parameter of ListExecutions.
 * @example
 * parseFilters('value_in(phase,FAILED;TIMED_OUT)+eq(launch_plan.name,etl)');
 * // [{ entity: 'e', field: 'phase', fn: 'value_in', values: ['FAILED', 'TIMED_OUT'] },
 * //  { entity: 'l', field: 'name', fn: 'eq', values: ['etl'] }]
 */
export function parseFilters(text: string): InlineFilter[] {
  return text.split('+').map((expression) => {
    const match = FILTER_RE.exec(expression);
    if (!match) throw invalidArgument('filters');
    const [, fn = '', rawField = '', rawValue = ''] = match;
    const prefix = Object.keys(ENTITY_PREFIXES).find((name) => rawField.startsWith(`${name}.`));
    const entity = prefix === undefined ? 'e' : (ENTITY_PREFIXES[prefix] ?? 'e');
    const field = prefix === undefined ? rawField : rawField.slice(prefix.length + 1);
    if (!EXECUTION_JOINS.has(entity)) throw badRequest(`'${entity}' entity is not allowed in filters`);
    if (!(field in (COLUMNS[entity] ?? {}))) throw badRequest(`'${entity}.${field}' is invalid filter`);
    let values = rawValue.split(';');
    if (field.toLowerCase() === 'duration') values = values.map(prepareDuration);
    const spec = FUNCTIONS[fn as FilterFunction];
    if (!Object.hasOwn(FUNCTIONS, fn) || spec === undefined)
      throw badRequest(`unrecognized filter function: ${fn}`);
    // flyteadmin passes a list to a single-value function on to SQL, which then fails; reject it clearly.
    if (spec.arity === 'single' && values.length > 1) {
      throw badRequest(`invalid single value filter expression: ${spec.label}`);
    }
    // admin_tag is stored in execution_tags, its `name` in the `key` column (`customizeEntity/Field`).
    if (entity === 'at')
      return { entity: 'et', field: field === 'name' ? 'key' : field, fn: fn as FilterFunction, values };
    return { entity, field, fn: fn as FilterFunction, values };
  });
}

function databaseError(type: string, value: string): StatusError {
  return new StatusError(
    GrpcCode.UNKNOWN,
    `failed database operation with invalid input syntax for type ${type}: ${JSON.stringify(value)}`,
  );
}

/** Casts a filter value to the column's type, as Postgres would (bad input is a query error). */
function castValue(type: ColumnType, value: string): Cell {
  switch (type) {
    case 'bigint':
      if (!/^\s*[+-]?\d+\s*$/.test(value)) throw databaseError('bigint', value);
      return Number(value);
    case 'timestamp': {
      const ms = timestampToMs(value) ?? (/^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(value) : undefined);
      if (ms === undefined || Number.isNaN(ms)) throw databaseError('timestamp with time zone', value);
      return ms;
    }
    case 'duration':
      return Number(value);
    default:
      return value;
  }
}

function likeToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] ?? '';
    if (char === '\\' && i + 1 < pattern.length)
      source += (pattern[++i] ?? '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (char === '%') source += '.*';
    else if (char === '_') source += '.';
    else source += char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

function compare(fn: FilterFunction, cell: Cell, values: Cell[]): boolean {
  // SQL three-valued logic: any comparison with NULL is not true.
  if (cell === null) return false;
  const [first = null] = values;
  if (first === null && fn !== 'value_in' && fn !== 'value_not_in') return false;
  switch (fn) {
    case 'eq':
      return cell === first;
    case 'ne':
      return cell !== first;
    case 'gt':
      return first !== null && cell > first;
    case 'gte':
      return first !== null && cell >= first;
    case 'lt':
      return first !== null && cell < first;
    case 'lte':
      return first !== null && cell <= first;
    case 'contains':
      return likeToRegExp(`%${String(first)}%`).test(String(cell));
    case 'not_like':
      return !likeToRegExp(String(first)).test(String(cell));
    case 'value_in':
      return values.includes(cell);
    case 'value_not_in':
      return !values.includes(cell);
  }
}

/** True when the execution satisfies every filter (a join entity matches if any joined row does). */
export function matchesFilters(
  row: ExecutionRow,
  filters: readonly InlineFilter[],
  store: ExecutionStore,
): boolean {
  return filters.every((filter) => {
    const type = COLUMNS[filter.entity]?.[filter.field] ?? 'text';
    const values = filter.values.map((value) => castValue(type, value));
    return joinedRows(filter.entity, row, store).some((cells) =>
      compare(filter.fn, cells[filter.field] ?? null, values),
    );
  });
}

/** Fails fast on values the columns cannot hold, even when no execution would be compared. */
export function checkFilterValues(filters: readonly InlineFilter[]): void {
  for (const filter of filters) {
    const type = COLUMNS[filter.entity]?.[filter.field] ?? 'text';
    for (const value of filter.values) castValue(type, value);
  }
}
