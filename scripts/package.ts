/**
 * @module
 * `npm run package`: the deployment package for Azure Functions, production dependencies only.
 * Assembles a folder (default `.tools/package`, the `dist` of the `api` service in azure.yaml,
 * which azd zips as it is) holding exactly what the Functions host and the app read:
 * `host.json`, `package.json`, `package-lock.json`, the app bundled from `src/` alone (no
 * source maps, no sandbox, scripts or tests) with the swaggers it reads at run time, and
 * `node_modules` from `npm ci --omit=dev --omit=optional` — so no Node binary, Core Tools,
 * Playwright, Azurite, Biome or any other dev tool. Then it checks the result (nothing but the
 * lockfile's production packages, the entry point loads from the package alone) and prints its
 * size.
 *
 * Usage: `npm run package [-- --out <dir>] [-- --offline]` (`--offline`: npm's cache only).
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { bundleApp } from './bundle.js';
import { copySpecs } from './copy-specs.js';

/** Files the host reads at run time, relative to the project root (the app's own: copySpecs). */
const RUNTIME_FILES = ['host.json', 'package.json', 'package-lock.json'] as const;

/**
 * Dev tools that must never ship, whatever the lockfile says: each would add tens to hundreds
 * of MB (a Node binary alone is 185 MB) and none runs in Azure.
 */
export const NEVER_SHIPPED = [
  'node',
  'azure-functions-core-tools',
  'playwright',
  'playwright-core',
  'azurite',
  '@biomejs/biome',
  'typescript',
  'vitest',
] as const;

/** Files no code loads at run time: source maps and type declarations. */
const NOT_LOADED = /\.(map|d\.ts|d\.mts|d\.cts)$/;

export interface PackageReport {
  out: string;
  files: number;
  bytes: number;
  nodeModulesBytes: number;
  /** Bytes of source maps and type declarations removed from node_modules. */
  prunedBytes: number;
}

export interface PackageOptions {
  root: string;
  out: string;
  /** Install from npm's cache only (tests: no network). */
  offline?: boolean;
}

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d;
    });
    child.on('error', fail);
    child.on('close', (code) =>
      code === 0
        ? done()
        : fail(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output.slice(-4000)}`)),
    );
  });
}

/** Every file under `dir` (symlinks as themselves), with its size. */
export function filesUnder(dir: string): { path: string; bytes: number }[] {
  const out: { path: string; bytes: number }[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push({ path: full, bytes: lstatSync(full).size });
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

/** Lockfile paths (`node_modules/a/node_modules/b`) of the packages installed under `dir`. */
export function installedPackages(dir: string): string[] {
  const found: string[] = [];
  const visit = (modules: string, prefix: string) => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue; // .bin, .package-lock.json
      const names = entry.name.startsWith('@')
        ? readdirSync(join(modules, entry.name)).map((n) => `${entry.name}/${n}`)
        : [entry.name];
      for (const name of names) {
        const path = `${prefix}node_modules/${name}`;
        found.push(path);
        visit(join(modules, name, 'node_modules'), `${path}/`);
      }
    }
  };
  visit(join(dir, 'node_modules'), '');
  return found.sort();
}

/** The lockfile's production packages: neither dev nor optional (what `--omit=dev --omit=optional` keeps). */
export function productionPackages(lockfilePath: string): string[] {
  const lock = JSON.parse(readFileSync(lockfilePath, 'utf8')) as {
    packages: Record<string, { dev?: boolean; optional?: boolean; devOptional?: boolean }>;
  };
  return Object.entries(lock.packages)
    .filter(([path, p]) => path !== '' && !p.dev && !p.optional && !p.devOptional)
    .map(([path]) => path)
    .sort();
}

/** Why the package would ship something it must not; empty when it is clean. */
export function packageProblems(out: string): string[] {
  const problems: string[] = [];
  const installed = installedPackages(out);
  const production = new Set(productionPackages(join(out, 'package-lock.json')));
  for (const path of installed) {
    if (!production.has(path)) problems.push(`${path}: not a production package in package-lock.json`);
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    if ((NEVER_SHIPPED as readonly string[]).includes(name)) problems.push(`${path}: a dev tool`);
  }
  for (const { path } of filesUnder(out)) {
    const base = path.slice(path.lastIndexOf(sep) + 1);
    if (base === 'node' || base === 'node.exe' || base === 'func') {
      problems.push(`${relative(out, path)}: a Node or Core Tools binary`);
    }
  }
  for (const entry of readdirSync(out)) {
    if (!['host.json', 'package.json', 'package-lock.json', 'dist', 'node_modules'].includes(entry)) {
      problems.push(`${entry}: not part of the deployment package`);
    }
  }
  for (const entry of readdirSync(join(out, 'dist'))) {
    if (entry !== 'app' && entry !== 'specs')
      problems.push(`dist/${entry}: only dist/app (the bundle) and dist/specs ship`);
  }
  return problems;
}

/**
 * Loads the package's entry point (package.json `main`, the bundle) in a fresh Node process that
 * resolves modules from the package's own node_modules only (not from any folder above it), as
 * the Functions worker would; then, from beside the bundle, every production dependency, since
 * the app loads most of them on first use (src/shared/lazy-require.ts) — one missing fails here,
 * not at a request. A package with no CommonJS root (the MCP SDK) is found by its package.json.
 */
export function entryPointProblem(out: string): string | undefined {
  const check = `
    const Module = require('node:module');
    const path = require('node:path');
    const root = process.cwd() + path.sep;
    const lookups = Module._nodeModulePaths;
    Module._nodeModulePaths = (from) => lookups(from).filter((p) => p.startsWith(root));
    try {
      const { main, dependencies } = require(path.resolve('package.json'));
      require(path.resolve(main));
      const load = Module.createRequire(path.resolve(main));
      for (const name of Object.keys(dependencies)) {
        try {
          load(name);
        } catch {
          load.resolve(name + '/package.json');
        }
      }
      console.log('loaded ' + main + ' and its dependencies');
    } catch (error) {
      // On stdout: stderr is full of @azure/functions' test-mode warnings.
      console.log('failed: ' + (error && error.message));
      process.exit(1);
    }
  `;
  const result = spawnSync(process.execPath, ['-e', check], {
    cwd: out,
    encoding: 'utf8',
    // Only what the app needs to start: no NODE_PATH, no inherited settings.
    env: { PATH: process.env.PATH ?? '', NODE_PATH: '', HOME: out },
    timeout: 30_000,
  });
  if (result.status === 0 && /loaded \S+/.test(result.stdout)) return undefined;
  const failure = /^failed: .*$/m.exec(result.stdout)?.[0] ?? result.stderr.slice(-3000);
  return `the entry point did not load from the package alone (exit ${result.status}):\n${failure}`;
}

/**
 * Builds the deployment package into `out` (emptied first) and checks it.
 * @example
 * const report = await buildPackage({ root: process.cwd(), out: '.tools/package' });
 */
export async function buildPackage(options: PackageOptions): Promise<PackageReport> {
  const { root, out } = options;
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  for (const file of RUNTIME_FILES) {
    mkdirSync(dirname(join(out, file)), { recursive: true });
    cpSync(join(root, file), join(out, file));
  }
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  await Promise.all([
    // From src/ alone, from scratch: one file, no source map (scripts/bundle.ts).
    bundleApp(root, join(out, 'dist')),
    // No install scripts: the only production package with one is @scarf/scarf (telemetry).
    run(
      npm,
      [
        'ci',
        '--omit=dev',
        '--omit=optional',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        options.offline ? '--offline' : '--prefer-offline',
      ],
      out,
    ),
  ]);
  // The swaggers the app reads at run time, beside the code as `npm run build` puts them.
  copySpecs(root, join(out, 'dist'));
  let prunedBytes = 0;
  for (const file of filesUnder(join(out, 'node_modules'))) {
    if (NOT_LOADED.test(file.path)) {
      rmSync(file.path);
      prunedBytes += file.bytes;
    }
  }
  rmSync(join(out, 'node_modules', '.bin'), { recursive: true, force: true });
  const problems = packageProblems(out);
  const loadProblem = entryPointProblem(out);
  if (loadProblem) problems.push(loadProblem);
  if (problems.length > 0) throw new Error(`deployment package refused:\n- ${problems.join('\n- ')}`);
  const files = filesUnder(out);
  return {
    out,
    files: files.length,
    bytes: files.reduce((sum, f) => sum + f.bytes, 0),
    nodeModulesBytes: filesUnder(join(out, 'node_modules')).reduce((sum, f) => sum + f.bytes, 0),
    prunedBytes,
  };
}

const MB = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

async function main(): Promise<void> {
  const root = resolve(__dirname, '..', '..');
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const out = resolve(root, outAt >= 0 ? (args[outAt + 1] ?? '') : join('.tools', 'package'));
  const started = Date.now();
  const report = await buildPackage({ root, out, offline: args.includes('--offline') });
  const zip = spawnSync('zip', ['-qr', '-', '.'], { cwd: out, maxBuffer: 2 ** 31 });
  const zipped = zip.status === 0 ? `, ${MB(zip.stdout.length)} zipped` : '';
  console.log(
    `package: ${relative(root, out) || out} — ${report.files} files, ${MB(report.bytes)}${zipped} ` +
      `(node_modules ${MB(report.nodeModulesBytes)}, maps and type declarations pruned: ${MB(report.prunedBytes)}); ` +
      `production dependencies only, entry point loads; ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
