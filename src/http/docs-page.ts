/**
 * @module
 * `GET /v1/docs`: the API reference page (Swagger UI) for `/v1/openapi.json`, served
 * entirely by the app: the page, its initializer script and the swagger-ui-dist assets
 * under `/v1/docs/<asset>`. Only the listed asset names are served (anything else, including
 * `..%2F` paths, is a 404 problem); no CDN, no inline script.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RouteNotFoundError } from '../problems/errors.js';
import { problemResponse } from '../problems/to-problem.js';
import { withPrefix } from '../shared/host-json.js';
import { frame } from './frame.js';
import type { RouteEntry } from './route.js';

/** Assets copied from swagger-ui-dist, by name → content type. */
const DIST_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};
const INITIALIZER = 'docs-initializer.js';
const ASSET_CACHE = 'public, max-age=3600';
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const path = (relative: string) => `/${withPrefix(relative)}`;

function page(): string {
  const asset = (name: string) => path(`v1/docs/${name}`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Execution Gateway API reference</title>
<link rel="stylesheet" href="${asset('swagger-ui.css')}">
<link rel="icon" type="image/png" href="${asset('favicon-32x32.png')}" sizes="32x32">
<link rel="icon" type="image/png" href="${asset('favicon-16x16.png')}" sizes="16x16">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${asset('swagger-ui-bundle.js')}"></script>
<script src="${asset(INITIALIZER)}"></script>
</body>
</html>
`;
}

function initializer(): string {
  const config = {
    url: path('v1/openapi.json'),
    dom_id: '#swagger-ui',
    tryItOutEnabled: true,
    displayOperationId: true,
    deepLinking: true,
    validatorUrl: null,
  };
  return `window.ui = SwaggerUIBundle(${JSON.stringify(config)});\n`;
}

const loaded = new Map<string, Uint8Array<ArrayBuffer>>();

/** A swagger-ui-dist file, read once. */
function distAsset(name: string): Uint8Array<ArrayBuffer> {
  let bytes = loaded.get(name);
  if (!bytes) {
    const dir = dirname(require.resolve('swagger-ui-dist/package.json'));
    bytes = new Uint8Array(readFileSync(join(dir, name)));
    loaded.set(name, bytes);
  }
  return bytes;
}

/**
 * The reference page and its assets (`params.asset` naming one; any other name is a 404).
 * @example
 * table.push(...docsRoutes()); // GET v1/docs → 200 text/html
 */
export function docsRoutes(): RouteEntry[] {
  const route = { methods: ['GET'], authLevel: 'anonymous' } as const;
  return [
    { ...route, name: 'docs', route: 'v1/docs', handler: frame('docs', async () => pageResponse()) },
    {
      ...route,
      name: 'docsasset',
      route: 'v1/docs/{*asset}',
      handler: frame('docsasset', async (request, { correlation }) =>
        assetResponse(request.params.asset ?? '', request.url, correlation.requestId),
      ),
    },
  ];
}

function pageResponse(): Response {
  return new Response(page(), {
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
    },
  });
}

function assetResponse(name: string, url: string, requestId: string): Response {
  const headers = { 'x-content-type-options': 'nosniff' };
  if (name === INITIALIZER) {
    return new Response(initializer(), {
      headers: { ...headers, 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' },
    });
  }
  const type = Object.hasOwn(DIST_ASSETS, name) ? DIST_ASSETS[name] : undefined;
  if (!type) {
    const pathname = new URL(url, 'http://localhost').pathname;
    return problemResponse(new RouteNotFoundError(pathname), requestId, pathname, headers);
  }
  return new Response(distAsset(name), {
    headers: { ...headers, 'content-type': type, 'cache-control': ASSET_CACHE },
  });
}
