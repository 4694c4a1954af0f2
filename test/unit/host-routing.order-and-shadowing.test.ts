import { describe, expect, it } from 'vitest';
import { routeTable } from '../../src/app.js';
import { FALLBACK_NAME } from '../../src/http/fallback.js';
import {
  compareFunctionNames,
  findShadowing,
  firstMatch,
  type HostRoute,
  hostRouteOf,
  inHostOrder,
} from '../../src/http/host-routing.js';
import { withPrefix } from '../../src/shared/host-json.js';

/** The route table as the host maps it: name, methods, prefixed template. */
const hostRoutes = (
  table: readonly { name: string; methods: readonly string[]; route: string }[],
): HostRoute[] => table.map((r) => hostRouteOf(r.name, r.methods, withPrefix(r.route)));

/** The host's function-name rule (Utility.FunctionNameValidationRegex). */
const HOST_NAME = /^[a-z][a-z0-9_-]{0,127}$/i;

describe('the host order of function names (OrdinalIgnoreCase)', () => {
  it.each([
    { names: ['health', 'fallback', 'docs'], expected: ['docs', 'fallback', 'health'] },
    { names: ['Beta', 'alpha', 'ALPHA2'], expected: ['alpha', 'ALPHA2', 'Beta'] },
    { names: ['zz_fallback', 'zzz', 'zz-a', 'zza'], expected: ['zz-a', 'zza', 'zzz', 'zz_fallback'] },
  ])('sorts $names as $expected', ({ names, expected }) => {
    // Act
    const sorted = [...names].sort(compareFunctionNames);

    // Assess
    expect(sorted).toStrictEqual(expected);
  });
});

describe('firstMatch', () => {
  const routes = inHostOrder(
    hostRoutes([
      { name: 'fallback', methods: ['GET', 'POST'], route: '{*path}' },
      { name: 'health', methods: ['GET'], route: 'v1/health' },
      { name: 'aaa', methods: ['POST'], route: 'v1/health' },
    ]),
  );

  it.each([
    { method: 'GET', path: '/v1/health', expected: 'fallback' },
    { method: 'post', path: '/V1/Health', expected: 'aaa' },
    { method: 'DELETE', path: '/v1/health', expected: undefined },
  ])(
    'gives $method $path to $expected: the first name whose template and methods match',
    ({ method, path, expected }) => {
      // Act
      const hit = firstMatch(routes, method, path);

      // Assess
      expect(hit?.route.name).toBe(expected);
    },
  );
});

describe("the app's route table under the host's order", () => {
  const table = routeTable();

  it('has names the host accepts, the catch-all last', () => {
    // Act
    const ordered = inHostOrder(table).map((r) => r.name);

    // Assess
    for (const name of ordered) expect(name).toMatch(HOST_NAME);
    expect(ordered.at(-1)).toBe(FALLBACK_NAME);
  });

  it('shadows no function with another', () => {
    // Act
    const shadowing = findShadowing(hostRoutes(table));

    // Assess
    expect(shadowing).toStrictEqual([]);
  });

  it('sends a request for each route to that route', () => {
    // Prepare: every parameter gets a value no literal has, a catch-all two segments.
    const ordered = inHostOrder(hostRoutes(table));
    const sample = (template: string) =>
      `/${template.replace(/\{\*[^}]+\}/g, 'x1/x2').replace(/\{[^}]+\}/g, 'p0')}`;

    // Act
    const winners = table.flatMap((r) =>
      r.methods.map((method) => ({
        route: r.name,
        winner: firstMatch(ordered, method, sample(withPrefix(r.route)))?.route.name,
      })),
    );

    // Assess
    expect(winners.filter((w) => w.winner !== w.route)).toStrictEqual([]);
  });
});

describe('findShadowing', () => {
  const table = routeTable();

  it('reports a catch-all that sorts before the routes it takes (the old "fallback")', () => {
    // Prepare
    const renamed = table.map((r) => (r.name === FALLBACK_NAME ? { ...r, name: 'fallback' } : r));

    // Act
    const shadowed = findShadowing(hostRoutes(renamed)).filter((s) => s.first === 'fallback');

    // Assess
    expect(shadowed.map((s) => s.shadowed).sort()).toStrictEqual(
      [
        'getexecution',
        'getexecutionmetrics',
        'health',
        'listexecutions',
        'mcp',
        'microsoftazurerunscancelrunwithuri',
        'microsoftazurerunsstartlocalrun',
        'microsoftazurerunsstartrun',
        'microsoftazurerunsstartsnapshotrun',
        'oauthprotectedresource',
        'openapi',
        'recoverexecution',
        'relaunchexecution',
        'terminateexecution',
        'uploadslot',
      ].sort(),
    );
  });

  it.each([
    {
      title: 'a parameter route named before the literal route it covers',
      added: { name: 'aaa-any-execution', methods: ['POST'], route: 'v1/api/v1/executions/{kind}' },
      expected: [
        { first: 'aaa-any-execution', shadowed: 'recoverexecution', methods: ['POST'] },
        { first: 'aaa-any-execution', shadowed: 'relaunchexecution', methods: ['POST'] },
      ],
    },
    {
      title: 'a catch-all under /v1/docs named before the page',
      added: { name: 'docs-all', methods: ['GET'], route: 'v1/{*rest}' },
      expected: [
        { first: 'docs-all', shadowed: 'docsasset', methods: ['GET'] },
        { first: 'docs-all', shadowed: 'getexecution', methods: ['GET'] },
        { first: 'docs-all', shadowed: 'getexecutionmetrics', methods: ['GET'] },
        { first: 'docs-all', shadowed: 'health', methods: ['GET'] },
        { first: 'docs-all', shadowed: 'listexecutions', methods: ['GET'] },
        { first: 'docs-all', shadowed: 'openapi', methods: ['GET'] },
      ],
    },
  ])('reports $title', ({ added, expected }) => {
    // Act
    const shadowing = findShadowing(hostRoutes([...table, added]));

    // Assess
    expect(shadowing).toStrictEqual(expected);
  });

  it('accepts a literal route named before the parameter route it refines', () => {
    // Prepare
    const routes = hostRoutes([
      { name: 'a-recover', methods: ['POST'], route: 'x/recover' },
      { name: 'b-any', methods: ['POST'], route: 'x/{name}' },
      { name: 'c-page', methods: ['GET'], route: 'docs' },
      { name: 'd-assets', methods: ['GET'], route: 'docs/{*asset}' },
    ]);

    // Act
    const shadowing = findShadowing(routes);

    // Assess
    expect(shadowing).toStrictEqual([]);
  });
});

describe('routeTable', () => {
  it('refuses an operation whose function name would sort after the catch-all', () => {
    // Act / Assess
    expect(() =>
      routeTable([
        {
          operationId: 'zz_last',
          capability: 'flyte',
          description: 'sorts after the catch-all',
          rest: { method: 'GET', path: '/v1/zz' },
          tool: { name: 'zz', title: 'zz', hints: { readOnly: true, destructive: false, idempotent: true } },
          input: { params: undefined as never, query: undefined as never },
          idempotent: true,
          call: async () => {
            throw new Error('not called');
          },
          openapi: { success: () => ({}) },
          role: 'Executions.Read',
        },
      ]),
    ).toThrow('function "zz_last" sorts after the catch-all zz_fallback');
  });
});
