/**
 * Cold-load probe, run in a fresh process by the cold-load bench: requires the built app
 * (`dist/src/index.js`, then every `dist/src/functions/*.js`) as the Functions host would,
 * with `@azure/functions` outside a worker (its test mode), and prints
 * `{"modules": N, "registrations": M}` — N modules in the require cache.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const DIST = join(__dirname, '..', '..', '..', 'dist', 'src');

const before = Object.keys(require.cache).length;
require(join(DIST, 'index.js'));
for (const file of readdirSync(join(DIST, 'functions')).filter((f) => f.endsWith('.js'))) {
  require(join(DIST, 'functions', file));
}
const modules = Object.keys(require.cache).length - before;
process.stdout.write(`${JSON.stringify({ modules })}\n`);
process.exit(0);
