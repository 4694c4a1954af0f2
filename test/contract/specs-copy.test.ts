/**
 * The repository's `specs/` copy must equal `shared/specs/` wherever both exist, so tests
 * that run on a lone clone hold the code to the same contract as CI.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_SPECS_DIR, SHARED_PRESENT, SHARED_SPECS_DIR } from '../helpers/shared-paths.js';

const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [relative(REPO_SPECS_DIR, path)];
  });

describe.runIf(SHARED_PRESENT)('specs/ is a faithful copy of shared/specs/', () => {
  const copied = files(REPO_SPECS_DIR).filter((f) => f !== 'README.md');

  it('copies the contracts and upstream descriptions the tests read', () => {
    expect(copied).toEqual(
      expect.arrayContaining(['capabilities/admin-executions.yaml', 'flyteadmin.swagger.json']),
    );
  });

  it.each(copied)('%s matches shared/specs', (file) => {
    expect(readFileSync(join(REPO_SPECS_DIR, file), 'utf8')).toBe(
      readFileSync(join(SHARED_SPECS_DIR, file), 'utf8'),
    );
  });
});
