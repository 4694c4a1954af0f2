/**
 * ListExecutions (`ExecutionManager.ListExecutions`): validation order, identifier and request filters, the
 * hidden `state = ACTIVE` filter, sort keys checked against the executions columns, and offset tokens.
 * The token is the decimal offset of the next page and is only returned when the page came back full, so a
 * last full page is followed by one empty page — clients that stop on `token === ""` must expect that.
 * @module
 */
import { type Cell, COLUMNS, type ExecutionRow, joinedRows, toExecutionRow } from './columns.js';
import {
  checkFilterValues,
  equalityFilter,
  type InlineFilter,
  matchesFilters,
  parseFilters,
} from './filters.js';
import { messageField, type ProtoObject, stringField } from './proto-value.js';
import { renderExecution } from './render.js';
import { badRequest, invalidArgument, missingArgument } from './status-error.js';
import type { ExecutionStore } from './store.js';

interface SortParameter {
  key: string;
  ascending: boolean;
}

/** `common.NewSortParameter`: no `sort_by` means database order; any given key must be a column. */
function sortParameter(sortBy: ProtoObject | undefined): SortParameter | undefined {
  if (sortBy === undefined) return undefined;
  const key = stringField(sortBy, 'key');
  if (!(key in (COLUMNS.e ?? {}))) throw badRequest(`invalid sort key '${key}'`);
  return { key, ascending: sortBy.direction === 'ASCENDING' };
}

/** `validation.ValidateToken` plus the manager's rewording: a non-negative decimal integer or empty. */
function offsetFromToken(token: string): number {
  if (token === '') return 0;
  const offset = /^[+-]?\d+$/.test(token) ? Number(token) : Number.NaN;
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw badRequest(`invalid pagination token ${token} for ListExecutions`);
  }
  return offset;
}

/** Postgres ordering: NULLs sort as larger than any value (last ascending, first descending). */
function compareCells(a: Cell, b: Cell): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

/**
 * Runs a canonical `admin.ResourceListRequest` against the store; returns a canonical `admin.ExecutionList`.
 * @example
 * listExecutions(store, { id: { project: 'flytesnacks', domain: 'development' }, limit: 2 }, Date.now());
 * // { executions: [...], token: '2' }  — or token '' when fewer than 2 came back
 */
export function listExecutions(store: ExecutionStore, request: ProtoObject, now: number): ProtoObject {
  const id = messageField(request, 'id');
  if (id === undefined) throw missingArgument('id');
  const project = stringField(id, 'project');
  const domain = stringField(id, 'domain');
  if (project === '') throw missingArgument('project');
  if (domain === '') throw missingArgument('domain');
  const limit = typeof request.limit === 'number' ? request.limit : 0;
  if (limit === 0) throw invalidArgument('limit');

  const filters: InlineFilter[] = [
    equalityFilter('execution_project', project),
    equalityFilter('execution_domain', domain),
  ];
  const name = stringField(id, 'name');
  if (name !== '') filters.push(equalityFilter('execution_name', name));
  const requestFilters = stringField(request, 'filters');
  if (requestFilters !== '') filters.push(...parseFilters(requestFilters));
  const sort = sortParameter(messageField(request, 'sort_by'));
  const offset = offsetFromToken(stringField(request, 'token'));
  // Archived executions stay hidden unless the caller filters on state itself (`addStateFilter`).
  if (!filters.some((filter) => filter.field === 'state')) filters.push(equalityFilter('state', '0'));
  checkFilterValues(filters);

  let rows: ExecutionRow[] = store
    .all()
    .map((record) => toExecutionRow(record, now))
    .filter((row) => matchesFilters(row, filters, store));
  if (sort) {
    const cell = (row: ExecutionRow) => joinedRows('e', row, store)[0]?.[sort.key] ?? null;
    rows = rows
      .map((row) => ({ row, value: cell(row) }))
      .sort((a, b) => {
        const order = compareCells(a.value, b.value);
        // Postgres puts NULLs last ascending and first descending: reversing the whole order does both.
        return (sort.ascending ? order : -order) || a.row.record.seq - b.row.record.seq;
      })
      .map(({ row }) => row);
  }
  const page = rows.slice(offset, offset + limit);
  return {
    executions: page.map((row) => renderExecution(row.record, now, 'list')),
    token: page.length === limit ? String(offset + page.length) : '',
  };
}
