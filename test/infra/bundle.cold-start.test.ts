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
      env: {
        PATH: process.env.PATH ?? '',
        FLYTE_ENDPOINT: 'http://127.0.0.1:9',
        FLYTE_PROJECTS: 'flytesnacks',
        AZUREML_ENDPOINT: 'http://127.0.0.1:9',
        AZUREML_AUTH: 'none',
        AZUREML_WORKSPACES: '*',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status, result.stderr).toBe(0);
    const registered = [...result.stderr.matchAll(/register function "([^"]+)"/g)].map((m) => m[1]);
    const expected = [...routeTable().map((route) => route.name), 'cancellationqueue'];
    expect(registered.sort()).toEqual(expected.sort());
  });
});
