/**
 * @module
 * The second branch of a zip that streams once: what staging reads is also written to a
 * bounded pass-through that the upstream request reads, so each byte crosses the app once.
 * Back-pressure comes from the slower side: staging pulls the next chunk only after the
 * branch has taken this one (or has room), and the branch gets nothing staging has not
 * pulled. A branch nobody reads any more (the upstream answered, failed or was abandoned) is
 * destroyed by its reader, and from then on its bytes are dropped: staging goes on alone.
 */
import { PassThrough, type Writable } from 'node:stream';

/** How much the upstream branch holds before staging waits for it. */
const BRANCH_BYTES = 1024 * 1024;

/**
 * A branch for the upstream request. Its errors (it is destroyed with the staging failure that
 * ends it) reach its reader through iteration; this listener only keeps an unread branch from
 * crashing the process.
 */
export function upstreamBranch(): PassThrough {
  const branch = new PassThrough({ highWaterMark: BRANCH_BYTES });
  branch.on('error', () => undefined);
  return branch;
}

/**
 * Passes `source` through, writing each chunk to `branch` first (waiting while it is full).
 * Ends the branch after the last chunk; a destroyed branch is skipped.
 * @example
 * const blocks = await stageBlocks(teeInto(inspector, branch), blob);
 */
export async function* teeInto(source: AsyncIterable<Buffer>, branch: Writable): AsyncIterable<Buffer> {
  for await (const chunk of source) {
    if (!branch.destroyed && !branch.write(chunk)) await roomIn(branch);
    yield chunk;
  }
  if (!branch.destroyed) branch.end();
}

/** Resolves once `branch` drains, or is destroyed (then its bytes are dropped). */
function roomIn(branch: Writable): Promise<void> {
  if (branch.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      branch.off('drain', done);
      branch.off('close', done);
      resolve();
    };
    branch.on('drain', done);
    branch.on('close', done);
  });
}
