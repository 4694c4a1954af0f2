import { describe, expect, it } from 'vitest';
import { listExecutionsQuerySchema } from '../../src/flyte/schemas.js';

const schema = listExecutionsQuerySchema(1000);
const issuesOf = (query: Record<string, string>) => {
  const result = schema.safeParse(query);
  return result.success
    ? []
    : result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
};
const FILTER_RULE =
  'must be func(field,value) expressions joined by +, func one of eq, ne, gt, gte, lt, lte, contains, not_like, value_in, value_not_in; list values joined by ; (no control characters)';

describe('limit', () => {
  it('defaults to 100 and drops unknown keys', () => {
    // Act
    const query = schema.parse({ page: '2' });

    // Assess
    expect(query).toStrictEqual({ limit: 100 });
  });

  it.each([
    { given: '1', expected: 1 },
    { given: '25', expected: 25 },
    { given: '0100', expected: 100 },
    { given: '1000', expected: 1000 },
  ])('takes $given as $expected', ({ given, expected }) => {
    // Act
    const query = schema.parse({ limit: given });

    // Assess
    expect(query.limit).toBe(expected);
  });

  it.each([
    { given: '0', message: 'must be at least 1' },
    { given: '-1', message: 'must be a positive integer' },
    { given: '1.5', message: 'must be a positive integer' },
    { given: 'abc', message: 'must be a positive integer' },
    { given: '', message: 'must be a positive integer' },
    { given: '1e3', message: 'must be a positive integer' },
    { given: '1001', message: 'must be at most 1000' },
  ])('refuses $given: $message', ({ given, message }) => {
    // Act
    const issues = issuesOf({ limit: given });

    // Assess
    expect(issues).toStrictEqual([{ path: 'limit', message }]);
  });

  it('refuses a number beyond the safe-integer range', () => {
    // Act
    const issues = issuesOf({ limit: '99999999999999999999' });

    // Assess
    expect(issues).toContainEqual({ path: 'limit', message: 'must be at most 1000' });
    expect(issues.every((i) => i.path === 'limit')).toBe(true);
  });
});

describe('token', () => {
  it.each(['', '0', '100', '9999999999'])('takes %j', (token) => {
    // Act
    const query = schema.parse({ token });

    // Assess
    expect(query).toStrictEqual({ limit: 100, token });
  });

  it.each(['abc', '-1', '1.0', '12345678901', 'MTAw'])('refuses %j', (token) => {
    // Act
    const issues = issuesOf({ token });

    // Assess
    expect(issues).toStrictEqual([
      { path: 'token', message: 'must be the token of a previous page (a decimal offset)' },
    ]);
  });
});

describe('filters', () => {
  it.each([
    'eq(phase,RUNNING)',
    'eq(phase,RUNNING)+value_in(phase,QUEUED;RUNNING)',
    'gte(created_at,2024-01-01T00:00:00Z)',
    'contains(launch_plan.name,etl)',
    'ne(mode,1)+not_like(name,tmp)+value_not_in(phase,FAILED;ABORTED)',
    'eq(phase,)',
    'contains(name,café ü)',
  ])('keeps the valid expression %s', (filters) => {
    // Act
    const query = schema.parse({ filters });

    // Assess
    expect(query.filters).toBe(filters);
  });

  it.each([
    { given: 'eq(phase,RUNNING) ne(mode,1)', expected: 'eq(phase,RUNNING)+ne(mode,1)' },
    {
      given: 'eq(phase,RUNNING)   value_in(phase,QUEUED;RUNNING)',
      expected: 'eq(phase,RUNNING)+value_in(phase,QUEUED;RUNNING)',
    },
  ])('puts back the + that query decoding turned into a space in $given', ({ given, expected }) => {
    // Act
    const query = schema.parse({ filters: given });

    // Assess
    expect(query.filters).toBe(expected);
  });

  it.each([
    'foo(phase,1)',
    'eq(phase,RUNNING',
    'eq(phase,RUNNING))',
    'eq(phase,(RUNNING))',
    'eq(phase,RUNNING)+',
    '+eq(phase,RUNNING)',
    'eq(Phase,RUNNING)',
    'eq(phase)',
    'eq(phase,RUNNING);drop',
    'EQ(phase,RUNNING)',
    '',
    'eq(name,a\u0000b)',
    'eq(name,\u0000)+eq(phase,RUNNING)',
    'eq(name,a\nb)',
    'eq(name,a\u007fb)',
    'eq(name,a\u0085b)',
  ])('refuses %j', (filters) => {
    // Act
    const issues = issuesOf({ filters });

    // Assess
    expect(issues).toStrictEqual([{ path: 'filters', message: FILTER_RULE }]);
  });

  it('refuses more than 4096 characters', () => {
    // Act
    const issues = issuesOf({ filters: `eq(name,${'a'.repeat(4090)})` });

    // Assess
    expect(issues[0]).toStrictEqual({ path: 'filters', message: 'must be at most 4096 characters' });
  });
});

describe('sort_by', () => {
  it('takes a key with a direction', () => {
    // Act
    const query = schema.parse({ 'sort_by.key': 'created_at', 'sort_by.direction': 'DESCENDING' });

    // Assess
    expect(query).toStrictEqual({
      limit: 100,
      'sort_by.key': 'created_at',
      'sort_by.direction': 'DESCENDING',
    });
  });

  it('takes a key alone', () => {
    // Act
    const query = schema.parse({ 'sort_by.key': 'updated_at' });

    // Assess
    expect(query).toStrictEqual({ limit: 100, 'sort_by.key': 'updated_at' });
  });

  it('refuses a direction without a key, naming sort_by.key', () => {
    // Act
    const issues = issuesOf({ 'sort_by.direction': 'ASCENDING' });

    // Assess
    expect(issues).toStrictEqual([
      { path: 'sort_by.key', message: 'required when sort_by.direction is given' },
    ]);
  });

  it('reports a missing key beside another bad field', () => {
    // Act
    const issues = issuesOf({ 'sort_by.direction': 'ASCENDING', limit: '0' });

    // Assess
    expect(issues).toStrictEqual([
      { path: 'limit', message: 'must be at least 1' },
      { path: 'sort_by.key', message: 'required when sort_by.direction is given' },
    ]);
  });

  it.each<{ query: Record<string, string>; path: string }>([
    { query: { 'sort_by.key': 'Created_At' }, path: 'sort_by.key' },
    { query: { 'sort_by.key': 'created_at;drop' }, path: 'sort_by.key' },
    { query: { 'sort_by.key': 'k'.repeat(65) }, path: 'sort_by.key' },
    { query: { 'sort_by.key': 'created_at', 'sort_by.direction': 'asc' }, path: 'sort_by.direction' },
  ])('refuses $query', ({ query, path }) => {
    // Act
    const issues = issuesOf(query);

    // Assess
    expect(issues.map((i) => i.path)).toStrictEqual([path]);
  });
});

describe('the limit cap', () => {
  it.each([1, 50, 10_000])('follows the setting (%i)', (max) => {
    // Act
    const ok = listExecutionsQuerySchema(max).safeParse({ limit: String(max) });
    const over = listExecutionsQuerySchema(max).safeParse({ limit: String(max + 1) });

    // Assess
    expect(ok.data).toStrictEqual({ limit: max });
    expect(over.error?.issues.map((i) => i.message)).toStrictEqual([`must be at most ${max}`]);
  });
});
