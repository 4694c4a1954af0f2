/**
 * The bundle the Functions host loads (scripts/bundle.ts, package.json `main`): it holds every
 * function and only the packages a cold start needs — the rest load on first use
 * (src/shared/lazy-require.ts), or every cold start, the queue trigger's included, pays for them.
 * Built for real into a temporary folder and loaded in a fresh Node process.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_PATH, type Bundle, bundleApp } from '../../scripts/bundle.js';
import { routeTable } from '../../src/app.js';

const root = join(__dirname, '..', '..');
/**
 * Settings a deployed app has (loopback upstreams: nothing is called while loading); the bundle
 * is in a temporary folder, so the packages it loads on first use come from NODE_PATH.
 */
const APP_ENV = {
  PATH: process.env.PATH ?? '',
  NODE_PATH: join(root, 'node_modules'),
  FLYTE_ENDPOINT: 'http://127.0.0.1:9',
  FLYTE_PROJECTS: 'flytesnacks',
  AZUREML_ENDPOINT: 'http://127.0.0.1:9',
  AZUREML_AUTH: 'none',
  AZUREML_WORKSPACES: '*',
};
const work = mkdtempSync(join(tmpdir(), 'gateway-bundle-'));
let bundle: Bundle;

beforeAll(async () => {
  bundle = await bundleApp(root, join(work, 'dist'));
}, 60_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the bundle the host loads', () => {
  it('is what package.json `main` names', () => {
    const { main } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string };
    expect(main).toBe(`dist/${BUNDLE_PATH.split(/[/\\]/).join('/')}`);
    expect(bundle.outfile).toBe(join(work, 'dist', BUNDLE_PATH));
  });

  it('holds only the packages every cold start needs', () => {
    // A new name here means a static import of a package: load it on first use instead.
    expect(bundle.packages).toEqual([
      '@azure/functions',
      '@azure/functions-extensions-base',
      'cookie',
      'zod',
    ]);
  });

  it('registers every route and the queue trigger when loaded', () => {
    // Outside a worker @azure/functions is in test mode: it names each function it would register.
    const result = spawnSync(process.execPath, [bundle.outfile], {
      env: APP_ENV,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status, result.stderr).toBe(0);
    const registered = [...result.stderr.matchAll(/register function "([^"]+)"/g)].map((m) => m[1]);
    const expected = [...routeTable().map((route) => route.name), 'cancellationqueue'];
    expect(registered.sort()).toEqual(expected.sort());
  });

  it('loads no @azure/identity at start with telemetry as deployed (Application Insights, Entra auth)', () => {
    // The exporter's credential is made on its first token (src/upstream/credentials.ts).
    const loaded = spawnSync(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(bundle.outfile)}); console.log(JSON.stringify(Object.keys(require.cache))); process.exit(0);`,
      ],
      {
        env: {
          ...APP_ENV,
          APPLICATIONINSIGHTS_CONNECTION_STRING:
            'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/',
          APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD',
          APPLICATION_INSIGHTS_NO_STATSBEAT: 'true',
          IDENTITY_ENDPOINT: 'http://127.0.0.1:9/msi/token',
          IDENTITY_HEADER: 'unused',
        },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(loaded.status, loaded.stderr).toBe(0);
    const modules = JSON.parse(loaded.stdout.trim().split('\n').pop() ?? '[]') as string[];
    const from = (name: string) => modules.filter((m) => m.includes(`/node_modules/${name}/`)).length;
    expect(from('@azure/monitor-opentelemetry-exporter')).toBeGreaterThan(0);
    expect(from('@azure/identity')).toBe(0);
    expect(from('@azure/msal-node')).toBe(0);
  });
});
