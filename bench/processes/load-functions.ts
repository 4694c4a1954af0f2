/**
 * Cold-load probe, run in a fresh process by the cold-load bench: loads the built app as the
 * Functions host would — package.json `main`, the bundle `dist/app/main.js` — or, with
 * `--unbundled`, as it did before the bundle (`dist/src/index.js`, then every
 * `dist/src/functions/*.js`), with `@azure/functions` outside a worker (its test mode), and
 * prints `{"modules": N}` — N modules in the require cache.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

function entryFiles(): string[] {
  if (process.argv.includes('--unbundled')) {
    const dist = join(ROOT, 'dist', 'src');
    const functions = readdirSync(join(dist, 'functions')).filter((f) => f.endsWith('.js'));
    return [join(dist, 'index.js'), ...functions.map((f) => join(dist, 'functions', f))];
  }
  const { main } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string };
  return [join(ROOT, main)];
}

const before = Object.keys(require.cache).length;
for (const file of entryFiles()) require(file);
const modules = Object.keys(require.cache).length - before;
process.stdout.write(`${JSON.stringify({ modules })}\n`);
process.exit(0);
