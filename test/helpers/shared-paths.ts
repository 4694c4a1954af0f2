/**
 * Where the specs live: `shared/specs/` beside the checkout when it is there (the source of
 * truth, as in CI), else the repository's own copy in `specs/` (a clone on its own).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO_SPECS_DIR = resolve(__dirname, '../../specs');
export const SHARED_SPECS_DIR = resolve(__dirname, '../../../shared/specs');
export const SHARED_PRESENT = existsSync(join(SHARED_SPECS_DIR, 'capabilities'));

export const specPath = (...parts: string[]) =>
  join(SHARED_PRESENT ? SHARED_SPECS_DIR : REPO_SPECS_DIR, ...parts);
