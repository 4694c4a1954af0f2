/**
 * @module
 * Reads `host.json` (found above this module, as the Functions host finds it in the app
 * root) for the HTTP route prefix, so the local host and the catch-all route see the same
 * paths the Functions host serves.
 */
import { readJsonUp } from '../find-up.js';

let cached: string | undefined;

/** `extensions.http.routePrefix`, `api` when absent (the host's default), without slashes. */
export function routePrefix(): string {
  if (cached === undefined) {
    const host = readJsonUp('host.json') as { extensions?: { http?: { routePrefix?: string } } } | undefined;
    cached = (host?.extensions?.http?.routePrefix ?? 'api').replace(/^\/+|\/+$/g, '');
  }
  return cached;
}

/** Joins the prefix and a relative route template. */
export function withPrefix(route: string, prefix = routePrefix()): string {
  return prefix === '' ? route : `${prefix}/${route}`;
}
