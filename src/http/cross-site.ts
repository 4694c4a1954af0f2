/**
 * @module
 * Cross-site safety, on by default (issue 15): a developer's gateway acts with their real
 * upstream credentials, so a page on another site must not drive it.
 *
 * - Origin rule (every host, every route, through `bindRoute`): a state-changing request (any
 *   method but GET, HEAD and OPTIONS) is refused with a 403 `cross-site-request` problem when it
 *   carries an `Origin` that is neither the gateway's own (the origin the request was addressed
 *   to, `X-Forwarded-*` included) nor on `ALLOWED_ORIGINS`, or when the browser marks it
 *   `Sec-Fetch-Site: cross-site` / `same-site` without an `Origin` on `ALLOWED_ORIGINS`. Requests
 *   with neither header (curl, servers, SDKs) pass. Safe methods pass: they change nothing, and
 *   with no CORS headers a foreign page cannot read their answers (a link to /v1/docs works).
 * - Host rule (the local host, when it listens on loopback): a `Host` that is not a loopback
 *   name or address (`localhost`, `*.localhost`, `127.x.x.x`, `[::1]`, any port) is refused with
 *   the same 403 — a DNS-rebinding page reaches 127.0.0.1 under its own name. Azure's front
 *   end sets `Host` itself, so the Functions path has no Host rule.
 */
import { isIP } from 'node:net';
import { CrossSiteRequestError } from '../problems/errors.js';
import type { GatewayRequest } from './route.js';
import { serverUrlOf } from './server-url.js';

/** Methods that change nothing: the Origin rule lets them through. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** `Sec-Fetch-Site` values a browser sends for a request from another origin. */
const FOREIGN_FETCH_SITES = new Set(['cross-site', 'same-site']);

/**
 * An origin in the form browsers serialize it (`https://app.example.com`, default port dropped,
 * host lower-cased), or `undefined` for anything that is not an http(s) origin (`null`).
 * @example
 * normalizeOrigin('HTTPS://App.Example.com:443') // 'https://app.example.com'
 */
export function normalizeOrigin(value: string): string | undefined {
  try {
    const url = new URL(value.trim());
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

/**
 * The refusal for a request another site sent, or `undefined` when it may go on.
 * @param allowedOrigins `ALLOWED_ORIGINS`, normalized (config.ts); read only when a browser header
 *   is there to check.
 * @example
 * crossSiteRefusal({ method: 'POST', url: 'http://127.0.0.1:7071/v1/cancellations',
 *   headers: new Headers({ origin: 'https://evil.example' }) }, () => []) // CrossSiteRequestError
 */
export function crossSiteRefusal(
  request: Pick<GatewayRequest, 'method' | 'url' | 'headers'>,
  allowedOrigins: () => readonly string[],
): CrossSiteRequestError | undefined {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return undefined;
  const header = request.headers.get('origin');
  const site = request.headers.get('sec-fetch-site')?.trim().toLowerCase();
  if (header === null && site === undefined) return undefined;
  const origin = header === null ? undefined : normalizeOrigin(header);
  if (origin !== undefined && allowedOrigins().includes(origin)) return undefined;
  if (site !== undefined && FOREIGN_FETCH_SITES.has(site)) {
    return new CrossSiteRequestError(
      `A ${site} browser request is not accepted${header === null ? '' : ` from origin ${JSON.stringify(header)}`}; ` +
        'list the calling origin in ALLOWED_ORIGINS to allow it.',
    );
  }
  if (header === null) return undefined;
  if (origin !== undefined && origin === ownOrigin(request)) return undefined;
  return new CrossSiteRequestError(
    `Origin ${JSON.stringify(header)} is not this gateway's origin; list it in ALLOWED_ORIGINS to allow it.`,
  );
}

/**
 * The origin the request was addressed to (`X-Forwarded-Proto`/`-Host` behind a proxy).
 * @example
 * ownOrigin({ url: 'http://127.0.0.1:7071/v1/health', headers: new Headers() }) // 'http://127.0.0.1:7071'
 */
export function ownOrigin(request: Pick<GatewayRequest, 'url' | 'headers'>): string | undefined {
  return normalizeOrigin(serverUrlOf(request, ''));
}

/**
 * Whether a listening address is loopback (`127.0.0.0/8`, `::1`, `localhost`): then the Host
 * rule applies.
 * @example
 * isLoopbackAddress('127.0.0.1') // true
 */
export function isLoopbackAddress(address: string): boolean {
  const host = address.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || /^::ffff:127\./.test(host);
  return false;
}

/**
 * The refusal for a `Host` header that does not name a loopback host, for a server listening
 * on loopback; `undefined` when it does (any port) or when there is no Host header at all
 * (HTTP/1.0: no browser sends that).
 * @example
 * hostRefusal('rebind.evil.example:7071') // CrossSiteRequestError
 * hostRefusal('localhost:7071') // undefined
 */
export function hostRefusal(host: string | undefined): CrossSiteRequestError | undefined {
  if (host === undefined) return undefined;
  const name = hostName(host.trim());
  if (name !== undefined && isLoopbackAddress(name)) return undefined;
  return new CrossSiteRequestError(
    `Host ${JSON.stringify(host)} is not a loopback name; the local host answers to localhost, ` +
      '127.0.0.1 and [::1] only.',
  );
}

/** The host name of a Host header (`[::1]:7071` → `::1`), or `undefined` when malformed. */
function hostName(host: string): string | undefined {
  if (host.startsWith('[')) {
    const match = /^\[([0-9a-fA-F:.]+)\](?::\d{1,5})?$/.exec(host);
    return match?.[1];
  }
  const match = /^([A-Za-z0-9.-]+)(?::\d{1,5})?$/.exec(host);
  return match?.[1];
}
