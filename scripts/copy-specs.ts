/**
 * @module
 * `node dist/scripts/copy-specs.js <outDir> [<repoRoot>]` (the root defaults to the working
 * directory), run by the build: copies the upstream swaggers
 * the app reads at run time (Flyte request normalization, the OpenAPI answer schemas) into
 * `<outDir>/specs`, so the compiled app is whole by itself — under the Functions host, in the
 * deployment package, wherever `dist/` goes without the repository around it.
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { RUNTIME_SPECS } from '../src/shared/specs.js';

/** Copies each of `RUNTIME_SPECS` from the repository's `specs/` to `<outDir>/specs/`. */
export function copySpecs(repoRoot: string, outDir: string): void {
  for (const file of Object.values(RUNTIME_SPECS))
    cpSync(join(repoRoot, 'specs', file), join(outDir, 'specs', file));
}

if (require.main === module) {
  const [outDir, repoRoot = process.cwd()] = process.argv.slice(2);
  if (!outDir) throw new Error('usage: node dist/scripts/copy-specs.js <outDir> [<repoRoot>]');
  copySpecs(repoRoot, outDir);
}
