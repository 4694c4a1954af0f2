/**
 * @module
 * The gateway's own version, from the nearest package.json above this module (health, the
 * OpenAPI document, MCP's `initialize`).
 */
import { readJsonUp } from './find-up.js';

let version: string | undefined;

/** @example packageVersion() // '0.1.0' */
export function packageVersion(): string {
  version ??= String((readJsonUp('package.json') as { version?: unknown } | undefined)?.version ?? '0.0.0');
  return version;
}
