/**
 * @module
 * Finds a file in this module's folder or the nearest one above it — the app root, where the
 * Functions host keeps `host.json` and `package.json`, whether the code runs from `src/` (tests)
 * or `dist/src/` (built).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The parsed JSON of the nearest `name` above this module, or `undefined` when there is none.
 * @example
 * const host = readJsonUp('host.json') as { version?: string } | undefined;
 */
export function readJsonUp(name: string): unknown {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, name);
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  }
  return undefined;
}
