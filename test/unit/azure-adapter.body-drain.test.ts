import { describe, expect, it } from 'vitest';
import { drainedOnCancel } from '../../src/http/azure-adapter.js';
import { pollUntil } from '../helpers/poll.js';

/** A body of `count` 1 KiB chunks that records how far it was read and whether it was cancelled. */
function trackedBody(count: number) {
  let pulled = 0;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (pulled === count) return controller.close();
        pulled += 1;
        controller.enqueue(new Uint8Array(1024).fill(pulled));
      },
      cancel() {
        cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => pulled, cancelled: () => cancelled };
}

describe('drainedOnCancel', () => {
  it('passes the body through unchanged', async () => {
    // Prepare
    const source = trackedBody(5);

    // Act
    const bytes = new Uint8Array(await new Response(drainedOnCancel(source.stream)).arrayBuffer());

    // Assess
    expect(bytes.byteLength).toBe(5 * 1024);
    expect([bytes[0], bytes[1024], bytes[5 * 1024 - 1]]).toStrictEqual([1, 2, 5]);
  });

  it('reads the rest of a cancelled body instead of cancelling it (the host fails the call on a reset)', async () => {
    // Prepare
    const source = trackedBody(200);
    const body = drainedOnCancel(source.stream);
    const reader = body?.getReader();
    await reader?.read();

    // Act
    await reader?.cancel();

    // Assess
    await pollUntil(
      async () => source.pulled(),
      (pulled) => pulled === 200,
    );
    expect(source.cancelled()).toBe(false);
  });

  it('leaves no body as no body', () => {
    // Act / Assess
    expect(drainedOnCancel(null)).toBeNull();
  });
});
