/**
 * @module
 * The app roles an Entra ID caller needs, one per kind of operation, declared on each catalog
 * entry (and on the gateway's own routes) and checked the same way on every surface. Roles do
 * not imply each other; an administrator assigns each a caller needs.
 */
export const ROLES = {
  /** get, list, metrics, batch reports */
  read: 'Executions.Read',
  /** create, recover, relaunch, every Azure ML start, upload slots */
  run: 'Executions.Run',
  /** terminate, cancel, batch cancellations */
  cancel: 'Executions.Cancel',
} as const;

export type Role = (typeof ROLES)[keyof typeof ROLES];
