/**
 * @module
 * The Azure ML workspace allow-list (`AZUREML_WORKSPACES`: subscriptionId/resourceGroup/workspace
 * entries, `*` for all). ARM names are case-insensitive, so the comparison is too. A workspace
 * outside the list gets 403 and the upstream is never called.
 */
import { NotAllowedError } from '../problems/errors.js';
import type { ExperimentPath } from './schemas.js';

/**
 * @example
 * assertWorkspaceAllowed(path, ['00000000-0000-0000-0000-000000000000/rg1/ws1']);
 */
export function assertWorkspaceAllowed(path: ExperimentPath, allowed: readonly string[]): void {
  if (allowed.includes('*')) return;
  const wanted = `${path.subscriptionid}/${path.resourcegroupname}/${path.workspacename}`.toLowerCase();
  if (!allowed.some((entry) => entry.toLowerCase() === wanted)) {
    throw new NotAllowedError(
      `Workspace ${path.subscriptionid}/${path.resourcegroupname}/${path.workspacename} is not on this gateway's allow-list (AZUREML_WORKSPACES).`,
    );
  }
}
