/**
 * @module
 * A failed upstream answer as the typed `UpstreamError`: its status, the body it carried (read
 * up to a cap, parsed when JSON), its request id and its `Retry-After`, so every surface reports
 * and classifies upstream failures from one error object. The error keeps only a summary of the
 * body (see `upstream-summary.ts`); a body that is not JSON (an HTML error page, plain text) is
 * never relayed at all.
 */
import { UpstreamError } from '../problems/errors.js';
import { upstreamRequestId } from '../problems/upstream-summary.js';
import { readCapped } from '../shared/read-capped.js';
import type { UpstreamResponse } from './http-client.js';

/** How much of a failed upstream answer is read to attach to the problem. */
const UPSTREAM_ERROR_BODY_LIMIT = 64 * 1024;

/**
 * @example
 * if (answer.status >= 300) throw await upstreamFailure(answer);
 */
export async function upstreamFailure(upstream: UpstreamResponse): Promise<UpstreamError> {
  const text = (await readCapped(upstream.body, UPSTREAM_ERROR_BODY_LIMIT)).bytes.toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (or cut at the cap): nothing of it is relayed, only the status.
  }
  const retryAfter = upstream.headers['retry-after'];
  const failure = new UpstreamError(
    upstream.upstream,
    { status: upstream.status, body, requestId: upstreamRequestId(upstream.headers) },
    Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
  );
  Object.assign(failure.extensions, upstream.extensions);
  return failure;
}
