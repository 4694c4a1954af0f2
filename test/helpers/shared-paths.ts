/**
 * Where the project's shared specs live: `shared/` beside the checkout (as in CI), so the
 * contract tests read the same files the issues cite.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const besideCheckout = resolve(__dirname, '../../../shared');
const candidates = [besideCheckout, resolve(__dirname, '../../shared')];

export const SHARED_DIR = candidates.find((dir) => existsSync(join(dir, 'specs'))) ?? besideCheckout;

export const specPath = (...parts: string[]) => join(SHARED_DIR, 'specs', ...parts);
