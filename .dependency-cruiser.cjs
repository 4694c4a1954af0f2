// `npm run check:imports`: the layers of src/ (imports only point down, docs/layout.md), and
// no import cycles among the project's own modules (src, sandbox, scripts, bench, test). Type-only imports count too: a cycle through `import type` is still a
// knot between folders, even though it costs nothing at run time.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    // The layers of src/ (docs/layout.md): imports only point down.
    {
      name: 'bottom-imports-nothing-above',
      severity: 'error',
      comment:
        'src/shared, src/problems and src/config.ts are the bottom layer: they import only each other.',
      from: { path: '^src/(shared/|problems/|config\\.ts)' },
      to: { path: '^src/', pathNot: '^src/(shared/|problems/|config\\.ts)' },
    },
    {
      name: 'domain-knows-no-surface',
      severity: 'error',
      comment:
        'Operations, their calls and batch cancellation know nothing of HTTP, MCP, OpenAPI, hosts ' +
        'or the service container; each declares the narrow interface it needs.',
      from: { path: '^src/(auth|catalog|cancellations|flyte|azureml|staging|storage|upstream)/' },
      to: { path: '^src/(http|mcp|openapi|local-host|functions)/|^src/(app|services|index)\\.ts$' },
    },
    {
      name: 'surfaces-below-wiring',
      severity: 'error',
      comment: 'Surfaces are wired together by src/app.ts; they do not import it, the container or a host.',
      from: { path: '^src/(http|mcp|openapi)/' },
      to: { path: '^src/(local-host|functions)/|^src/(app|services|index)\\.ts$' },
    },
    {
      name: 'openapi-and-http-below-mcp',
      severity: 'error',
      comment:
        'MCP builds on the HTTP frame and OpenAPI tags; neither imports MCP, and OpenAPI imports no surface.',
      from: { path: '^src/(http|openapi)/' },
      to: { path: '^src/mcp/' },
    },
    {
      name: 'openapi-knows-no-http',
      severity: 'error',
      comment: 'The document is derived from route entries handed to it; it imports no HTTP module.',
      from: { path: '^src/openapi/' },
      to: { path: '^src/http/' },
    },
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
