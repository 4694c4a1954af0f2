/**
 * @module
 * Reads `host.json` (found above this module, as the Functions host finds it in the app
 * root) for the HTTP route prefix, so the local host and the catch-all route see the same
 * paths the Functions host serves.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | undefined;

/** `extensions.http.routePrefix`, `api` when absent (the host's default), without slashes. */
export function routePrefix(): string {
  if (cached !== undefined) return cached;
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'host.json');
    if (existsSync(file)) {
      const host = JSON.parse(readFileSync(file, 'utf8')) as {
        extensions?: { http?: { routePrefix?: string } };
      };
      cached = (host.extensions?.http?.routePrefix ?? 'api').replace(/^\/+|\/+$/g, '');
      return cached;
    }
  }
  cached = 'api';
  return cached;
}

/** Joins the prefix and a relative route template. */
export function withPrefix(route: string, prefix = routePrefix()): string {
  return prefix === '' ? route : `${prefix}/${route}`;
}
