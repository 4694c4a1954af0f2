/**
 * The deployment package (`npm run package`, azure.yaml's `dist`) as it would ship: built for
 * real into a temporary folder outside the project (so nothing above it can supply a module),
 * from npm's cache only. It holds the lockfile's production packages and nothing else — no dev
 * dependency, Node binary, Core Tools, Playwright, Azurite or Biome — only the bundle
 * (`dist/app/main.js`) of the build, and its entry point and every dependency load from the
 * package alone. Its size is the one in the README.
 */
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildPackage,
  entryPointProblem,
  filesUnder,
  installedPackages,
  NEVER_SHIPPED,
  type PackageReport,
  packageProblems,
  productionPackages,
} from '../../scripts/package.js';

const root = join(__dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'gateway-package-'));
const out = join(work, 'package');
let report: PackageReport;

beforeAll(async () => {
  report = await buildPackage({ root, out, offline: true });
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  devDependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
  dependencies: Record<string, string>;
};

describe('deployment package: production dependencies only', () => {
  it('installs exactly the production packages of package-lock.json', () => {
    expect(installedPackages(out)).toEqual(productionPackages(join(root, 'package-lock.json')));
    expect(packageProblems(out)).toEqual([]);
  });

  it('ships no dev tool, dev-only dependency, optional dependency or binary', () => {
    const installed = installedPackages(out);
    const names = new Set(installed.map((p) => p.slice(p.lastIndexOf('node_modules/') + 13)));
    for (const tool of NEVER_SHIPPED) expect(names.has(tool), tool).toBe(false);
    for (const name of Object.keys(pkg.optionalDependencies)) expect(names.has(name), name).toBe(false);
    // A devDependency ships only where a production dependency needs it too (ajv for the MCP SDK...).
    const production = new Set(productionPackages(join(root, 'package-lock.json')));
    for (const name of Object.keys(pkg.devDependencies)) {
      if (names.has(name)) expect(production.has(`node_modules/${name}`), name).toBe(true);
    }
    for (const name of Object.keys(pkg.dependencies)) expect(names.has(name), name).toBe(true);
    const binaries = filesUnder(out).filter((f) => /[/\\](node|node\.exe|func)$/.test(f.path));
    expect(binaries).toEqual([]);
  });

  it('holds only the runtime files, the bundle and the swaggers the app reads, without source maps', () => {
    const top = filesUnder(out)
      .map((f) => f.path.slice(out.length + 1).split(/[/\\]/)[0])
      .filter((v, i, all) => all.indexOf(v) === i)
      .sort();
    expect(top).toEqual(['dist', 'host.json', 'node_modules', 'package-lock.json', 'package.json']);
    const files = filesUnder(join(out, 'dist')).map((f) => f.path.slice(out.length + 1));
    const specs = files.filter((p) => /^dist[/\\]specs[/\\]/.test(p)).sort();
    expect(specs).toEqual([
      join('dist', 'specs', 'azureml-execution', 'execution.json'),
      join('dist', 'specs', 'flyteadmin.swagger.json'),
    ]);
    const app = files.filter((p) => !specs.includes(p));
    expect(app).toEqual([join('dist', 'app', 'main.js')]);
    const shipped = JSON.parse(readFileSync(join(out, 'package.json'), 'utf8')) as { main: string };
    expect(shipped.main).toBe('dist/app/main.js');
  });

  it("loads the app's entry point with only the packaged node_modules", () => {
    expect(entryPointProblem(out)).toBeUndefined();
  });

  it('the checks see a dev tool or a missing dependency when there is one', () => {
    // Prepare: plant Azurite, then hide undici (loaded on first use, so only its absence tells).
    const planted = join(out, 'node_modules', 'azurite');
    mkdirSync(planted);
    writeFileSync(join(planted, 'package.json'), '{"name":"azurite"}');
    const undici = join(out, 'node_modules', 'undici');
    const hidden = join(work, 'undici');
    // Act
    const problems = packageProblems(out);
    rmSync(planted, { recursive: true });
    renameSync(undici, hidden);
    const loadProblem = entryPointProblem(out);
    renameSync(hidden, undici);
    // Assess
    expect(problems).toEqual([
      'node_modules/azurite: not a production package in package-lock.json',
      'node_modules/azurite: a dev tool',
    ]);
    expect(loadProblem).toMatch(/Cannot find module 'undici(\/package\.json)?'/);
  });

  it('is the size the README states (within 25%), and far below the dev install', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const stated = /deployment package is about \*\*(\d+) MB\*\*/.exec(readme)?.[1];
    expect(stated, 'README: "deployment package is about **N MB**"').toBeDefined();
    const measuredMB = report.bytes / 1e6;
    expect(Math.abs(measuredMB - Number(stated)) / Number(stated)).toBeLessThan(0.25);
    expect(measuredMB).toBeLessThan(100);
  });
});
