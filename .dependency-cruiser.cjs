// `npm run check:cycles`: no import cycles among the project's own modules (src, sandbox,
// scripts, bench, test). Type-only imports count too: a cycle through `import type` is still a
// knot between folders, even though it costs nothing at run time.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'This module is part of an import cycle. Move the shared piece down (e.g. to src/shared) ' +
        'or invert the dependency so that imports only point one way.',
      from: {},
      to: { circular: true },
    },
    {
      // A relative import the resolver cannot follow would silently drop an edge from the
      // graph (and hide any cycle through it), so an unresolvable one fails the check too.
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'This module imports a file that does not exist (or cannot be resolved).',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Only the project's own files: packages are leaves of the graph.
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|dist-bench|coverage)/' },
    // Keep type-only imports (erased by tsc) in the graph.
    tsPreCompilationDeps: true,
    // Resolves the Node16-style `./x.js` specifiers to the `.ts` sources.
    tsConfig: { fileName: 'tsconfig.json' },
    // Packages such as @modelcontextprotocol/sdk are reachable only through package.json "exports".
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
    progress: { type: 'none' },
  },
};
