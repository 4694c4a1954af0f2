/**
 * @module
 * The Flyte project allow-list (`FLYTE_PROJECTS`). A project outside it gets 403 and the
 * upstream is never called; `*` allows every project.
 */
import { NotAllowedError } from '../problems/errors.js';

/**
 * @example
 * assertProjectsAllowed(['flytesnacks'], ['flytesnacks', 'ml']); // ok
 * assertProjectsAllowed(['other'], ['flytesnacks']); // throws NotAllowedError
 */
export function assertProjectsAllowed(projects: readonly string[], allowed: readonly string[]): void {
  if (allowed.includes('*')) return;
  for (const project of new Set(projects)) {
    if (!allowed.includes(project)) {
      throw new NotAllowedError(
        `Flyte project "${project}" is not on this gateway's allow-list (FLYTE_PROJECTS).`,
      );
    }
  }
}
