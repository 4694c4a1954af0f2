/**
 * @module
 * Whose staged zips a request may use. A staged zip is stored under its owner's name, so a
 * `stagedZipId` another caller learns (from a log line, a problem answer) names nothing for
 * them. The owner is the Entra ID caller under AUTH_MODE=entra (tenant and object id, or app
 * id for a token without one); else the function key the request presented, as the host took
 * it (`x-functions-key` header, else `?code=`); else the one shared owner of a host that checks
 * no key (`npm start`). Only a digest is kept, so no key reaches storage or a log.
 */
import { createHash } from 'node:crypto';
import type { Caller } from './caller.js';

/** The owner of everything staged where no identity or key is presented (the local host). */
export const SHARED_OWNER = 'shared';

/**
 * @example
 * stagingOwner(request, caller) // 'k-3f1c…' for a function key, 'e-9a0d…' for an Entra caller
 */
export function stagingOwner(request: { headers: Headers; url: string }, caller?: Caller): string {
  if (caller)
    return `e-${digest(`${caller.tenantId ?? ''}/${caller.objectId ?? `app:${caller.appId ?? ''}`}`)}`;
  const key = request.headers.get('x-functions-key') ?? keyInQuery(request.url);
  return key ? `k-${digest(key)}` : SHARED_OWNER;
}

function keyInQuery(url: string): string | null {
  if (!/[?&]code=/i.test(url)) return null; // most requests: no URL to parse
  const query = new URL(url, 'http://localhost').searchParams;
  // The host reads `code` case-insensitively, as bind-route strips it.
  for (const [name, value] of query) if (name.toLowerCase() === 'code') return value;
  return null;
}

/** 128 bits of SHA-256: enough to keep owners apart, and says nothing of the key. */
const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);
