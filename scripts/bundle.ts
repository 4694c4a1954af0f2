/**
 * @module
 * `node dist/scripts/bundle.js <outDir> [<repoRoot>]`, run by the build: the app as the
 * Functions host loads it — `<outDir>/app/main.js` (package.json `main`), one CommonJS file
 * holding `src/index.ts`, then every `src/functions/*.ts` in name order, and what they import
 * at start-up (zod, `@azure/functions`, the app's own modules).
 *
 * Why one file: a cold start resolved, read and compiled ~200 modules one by one; from one file
 * it loads 28–52 ms sooner (+103 to +121 ms over `node -e 0` against +131 to +173 ms unbundled,
 * DESIGN.md allowing 150 ms: BENCHMARKS.md), and in Azure the package's mounted file system is
 * read once instead of per module.
 *
 * What stays outside, on purpose:
 * - packages the app loads on first use (`src/shared/lazy-require.ts` and the other
 *   `createRequire` call sites: undici, the Azure SDKs, OpenTelemetry, the MCP SDK, jose) —
 *   esbuild does not follow those calls, so they still load from `node_modules` only when used;
 * - `@azure/functions-core`, which only the Node.js worker provides;
 * - `swagger-ui-dist`, whose files are read from its folder, not imported.
 * The swaggers the app reads are found above the bundle, in `<outDir>/specs` (copy-specs.ts).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

/** Where the bundle goes, under the build's output folder; package.json `main` names it. */
export const BUNDLE_PATH = join('app', 'main.js');

/** Modules the bundle must not contain (see the module comment). */
const EXTERNAL = ['@azure/functions-core', 'swagger-ui-dist'];

export interface BundleOptions {
  /** A linked source map beside the bundle (`node --enable-source-maps`); not shipped. */
  sourcemap?: boolean;
}

/** The entry: set-up first, then each function file, as the host's `main` glob used to load them. */
function entrySource(repoRoot: string): string {
  const functions = readdirSync(join(repoRoot, 'src', 'functions'))
    .filter((file) => file.endsWith('.ts'))
    .sort();
  return ['./src/index.ts', ...functions.map((file) => `./src/functions/${file}`)]
    .map((path) => `require(${JSON.stringify(path)});`)
    .join('\n');
}

export interface Bundle {
  outfile: string;
  /** The packages whose code is in the bundle — what every cold start loads — sorted. */
  packages: string[];
}

/** `node_modules/@scope/name/…` or `node_modules/name/…` → the package's name. */
const PACKAGE_OF = /node_modules\/((?:@[^/]+\/)?[^/]+)\//;

/**
 * Writes `<outDir>/app/main.js`; throws on any bundling error or warning.
 * @example const { outfile, packages } = await bundleApp(process.cwd(), 'dist');
 */
export async function bundleApp(
  repoRoot: string,
  outDir: string,
  options: BundleOptions = {},
): Promise<Bundle> {
  const outfile = join(outDir, BUNDLE_PATH);
  const result = await build({
    stdin: { contents: entrySource(repoRoot), resolveDir: repoRoot, sourcefile: 'main.js', loader: 'js' },
    absWorkingDir: repoRoot,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    outfile,
    external: EXTERNAL,
    tsconfig: join(repoRoot, 'tsconfig.json'),
    // Stack traces and logs keep the names of functions and classes.
    keepNames: true,
    sourcemap: options.sourcemap ? 'linked' : false,
    metafile: true,
    logLevel: 'silent',
  });
  if (result.warnings.length > 0)
    throw new Error(`bundling warned:\n${result.warnings.map((w) => w.text).join('\n')}`);
  const packages = new Set<string>();
  for (const input of Object.keys(result.metafile.inputs)) {
    const name = PACKAGE_OF.exec(input)?.[1];
    if (name) packages.add(name);
  }
  return { outfile, packages: [...packages].sort() };
}

if (require.main === module) {
  const [outDir, repoRoot = process.cwd()] = process.argv.slice(2);
  if (!outDir) throw new Error('usage: node dist/scripts/bundle.js <outDir> [<repoRoot>]');
  bundleApp(repoRoot, outDir, { sourcemap: true }).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
