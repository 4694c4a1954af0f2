import { configDefaults, defineConfig } from 'vitest/config';

// Two projects, every test file in exactly one of them (`npx vitest list` shows which):
// - unit: test/unit, in-process tests. Files share their worker's module graph
//   (isolate: false), so zod, @azure/functions and the src modules load once per worker
//   instead of once per file, which is most of what a unit run used to spend.
// - servers: every other suite (integration, contract, browser, realhost, sandbox, infra),
//   which start real servers and child processes; each file keeps its own fresh process.
// `npm test` runs both; `npm run test:unit` (vitest run test/unit) picks only unit files.
export default defineConfig({
  test: {
    // Shared by both projects (`extends: true`). Integration suites start real servers on
    // loopback; keep each bounded.
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Three files at a time, on any machine: most server suites wait on sockets, polls and
    // timers rather than the CPU, so on a 2-CPU box vitest's default (CPUs - 1 = one file at a
    // time) left the run mostly idle (unit + integration: 327 s with one, 193 s with three).
    maxWorkers: 3,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // The files a worker runs share its module registry, one after another: a unit test
          // must leave no state behind (stubbed env, spies, fake timers are restored).
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'servers',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/unit/**'],
        },
      },
    ],
  },
});
