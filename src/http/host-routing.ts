/**
 * @module
 * How the Functions host picks the function for a request, so the local host and the tests
 * route the same way, and a check that no function hides another. The host maps one route per
 * HTTP function in the order of function names (ordinal, ignoring case) and the first template
 * whose methods allow the request wins: there is no ASP.NET-style precedence of literals over
 * parameters (docs/functions-host.md, "Routing").
 */
import { matchSegments, parseTemplate, pathSegments, type RouteTemplate } from './route-template.js';

export interface HostRoute {
  /** Function name. */
  name: string;
  /** HTTP methods the trigger allows. */
  methods: readonly string[];
  /** Template with the route prefix, no leading slash. */
  template: RouteTemplate;
}

/**
 * The host's order of functions: `OrderBy(name, StringComparer.OrdinalIgnoreCase)`, i.e. UTF-16
 * code units of the upper-cased names (so `_` sorts after every letter, `-` before them).
 */
export function compareFunctionNames(a: string, b: string): number {
  const x = a.toUpperCase();
  const y = b.toUpperCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Routes in the order the host tries them. */
export function inHostOrder<T extends { name: string }>(routes: readonly T[]): T[] {
  return [...routes].sort((a, b) => compareFunctionNames(a.name, b.name));
}

/**
 * The first route (in host order) whose template and methods match, as the host picks it.
 * @example
 * firstMatch(inHostOrder(routes), 'GET', '/v1/health') // { route: health, params: {} }
 */
export function firstMatch<T extends Pick<HostRoute, 'methods' | 'template'>>(
  ordered: readonly T[],
  method: string,
  pathname: string,
): { route: T; params: Record<string, string> } | undefined {
  const upper = method.toUpperCase();
  const parts = pathSegments(pathname);
  if (!parts) return undefined;
  for (const route of ordered) {
    if (!route.methods.includes(upper)) continue;
    const params = matchSegments(route.template, parts);
    if (params) return { route, params };
  }
  return undefined;
}

export interface Shadowing {
  /** The function the host tries first… */
  first: string;
  /** …which takes requests meant for this one. */
  shadowed: string;
  methods: string[];
}

/**
 * Every pair where a function the host tries first takes some request that a later one
 * serves, unless the first one is the narrower (a literal route before the parameter route
 * it refines, which is what the later one's author wants).
 * @example
 * findShadowing(routes) // [{ first: 'fallback', shadowed: 'health', methods: ['GET'] }]
 */
export function findShadowing(routes: readonly HostRoute[]): Shadowing[] {
  const ordered = inHostOrder(routes);
  const found: Shadowing[] = [];
  for (const [i, first] of ordered.entries()) {
    for (const later of ordered.slice(i + 1)) {
      const methods = first.methods.filter((m) => later.methods.includes(m));
      if (methods.length === 0) continue;
      const a = first.template.segments;
      const b = later.template.segments;
      if (overlaps(a, b) && !narrower(a, b)) {
        found.push({ first: first.name, shadowed: later.name, methods });
      }
    }
  }
  return found;
}

/** A route template's pieces, as `hostRouteOf` builds them from a definition. */
export function hostRouteOf(name: string, methods: readonly string[], template: string): HostRoute {
  return { name, methods: methods.map((m) => m.toUpperCase()), template: parseTemplate(template) };
}

type Segments = RouteTemplate['segments'];

/** Some path matches both templates. */
function overlaps(a: Segments, b: Segments): boolean {
  const [x, ...restA] = a;
  const [y, ...restB] = b;
  if (x?.kind === 'rest' || y?.kind === 'rest') return true;
  if (!x || !y) return !x && !y;
  if (x.kind === 'literal' && y.kind === 'literal' && x.value !== y.value) return false;
  return overlaps(restA, restB);
}

/** Every path that `a` matches, `b` matches too. */
function narrower(a: Segments, b: Segments): boolean {
  const [x, ...restA] = a;
  const [y, ...restB] = b;
  if (y?.kind === 'rest') return true;
  if (!x || !y) return !x && !y;
  if (x.kind === 'rest') return false;
  if (x.kind === 'param' && y.kind === 'literal') return false;
  if (x.kind === 'literal' && y.kind === 'literal' && x.value !== y.value) return false;
  return narrower(restA, restB);
}
