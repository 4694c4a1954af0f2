/**
 * @module
 * Duplicate targets in one batch: two targets of the same kind and identity are one run, so
 * the first copy is cancelled and every later copy gets its outcome (`sameAs` its index)
 * without an upstream call of its own. Identities compare exactly, as the upstream would
 * receive them.
 */
import type { Target } from './targets.js';

/** One string per run: kind and identity fields in a fixed order. */
function targetKey(target: Target): string {
  return target.kind === 'flyte'
    ? JSON.stringify([target.kind, target.project, target.domain, target.name])
    : JSON.stringify([
        target.kind,
        target.subscriptionId,
        target.resourceGroupName,
        target.workspaceName,
        target.experimentName,
        target.runId,
      ]);
}

/**
 * For each item with a target, the index of the first item with the same target, when that is
 * an earlier one; items without a target (invalid ones) have no copies.
 * @example
 * firstCopies([{ index: 0, target: a }, { index: 1, target: b }, { index: 7, target: a }]) // Map { 7 => 0 }
 */
export function firstCopies(items: readonly { index: number; target?: Target }[]): Map<number, number> {
  const first = new Map<string, number>();
  const copies = new Map<number, number>();
  for (const { index, target } of items) {
    if (!target) continue;
    const key = targetKey(target);
    const seen = first.get(key);
    if (seen === undefined) first.set(key, index);
    else copies.set(index, seen);
  }
  return copies;
}
