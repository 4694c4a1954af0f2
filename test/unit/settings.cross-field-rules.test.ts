import { describe, expect, it } from 'vitest';
import { loadSettings, mcpInlineZipLimit, upstreamDeadline } from '../../src/config.js';
import { toProblem } from '../../src/problems/to-problem.js';
import { thrownBy } from '../helpers/unit-factories.js';

const pathsOf = (error: unknown) =>
  (error as { errors: { path: string }[] }).errors.map((e) => e.path).sort();

describe.each([
  { auth: 'api-key', env: {}, missing: ['FLYTE_API_KEY'] },
  { auth: 'api-key', env: { FLYTE_API_KEY: '   ' }, missing: ['FLYTE_API_KEY'] },
  {
    auth: 'client-credentials',
    env: {},
    missing: ['FLYTE_CLIENT_ID', 'FLYTE_CLIENT_SECRET', 'FLYTE_TOKEN_URL'],
  },
  {
    auth: 'client-credentials',
    env: { FLYTE_TOKEN_URL: 'https://login.example.com/token' },
    missing: ['FLYTE_CLIENT_ID', 'FLYTE_CLIENT_SECRET'],
  },
  {
    auth: 'client-credentials',
    env: { FLYTE_TOKEN_URL: 'https://login.example.com/token', FLYTE_CLIENT_ID: 'gw' },
    missing: ['FLYTE_CLIENT_SECRET'],
  },
  { auth: 'managed-identity', env: {}, missing: ['FLYTE_SCOPE'] },
  { auth: 'managed-identity', env: { AZURE_CLIENT_ID: 'id-1' }, missing: ['FLYTE_SCOPE'] },
])('FLYTE_AUTH=$auth with $env', ({ auth, env, missing }) => {
  it(`names ${missing.join(', ')} as required`, () => {
    // Act
    const error = thrownBy(() => loadSettings({ FLYTE_AUTH: auth, ...env }));

    // Assess
    expect(error).toMatchObject({ type: 'invalid-configuration' });
    expect(pathsOf(error)).toStrictEqual(missing);
    for (const e of (error as { errors: { message: string }[] }).errors) {
      expect(e.message).toBe(`required when FLYTE_AUTH=${auth}`);
    }
  });
});

describe.each([
  { auth: 'none', env: {}, check: { FLYTE_AUTH: 'none' } },
  { auth: 'api-key', env: { FLYTE_API_KEY: 'k' }, check: { FLYTE_API_KEY: 'k' } },
  {
    auth: 'client-credentials',
    env: {
      FLYTE_TOKEN_URL: 'https://login.example.com/token/',
      FLYTE_CLIENT_ID: 'gw',
      FLYTE_CLIENT_SECRET: 's',
    },
    check: {
      FLYTE_TOKEN_URL: 'https://login.example.com/token',
      FLYTE_CLIENT_ID: 'gw',
      FLYTE_CLIENT_SECRET: 's',
    },
  },
  {
    auth: 'managed-identity',
    env: { FLYTE_SCOPE: 'api://flyte/.default' },
    check: { FLYTE_SCOPE: 'api://flyte/.default' },
  },
])('FLYTE_AUTH=$auth complete', ({ auth, env, check }) => {
  it('loads', () => {
    // Act
    const settings = loadSettings({ FLYTE_AUTH: auth, ...env });

    // Assess
    expect(settings).toMatchObject({ FLYTE_AUTH: auth, ...check });
  });
});

describe('FLYTE_ENDPOINT needs FLYTE_PROJECTS', () => {
  it.each([{ FLYTE_PROJECTS: undefined }, { FLYTE_PROJECTS: '' }, { FLYTE_PROJECTS: ' , ,' }])(
    'refuses an endpoint with %o',
    (projects) => {
      // Act
      const error = thrownBy(() => loadSettings({ FLYTE_ENDPOINT: 'http://127.0.0.1:8089', ...projects }));

      // Assess
      expect(error).toMatchObject({
        type: 'invalid-configuration',
        errors: [
          {
            path: 'FLYTE_PROJECTS',
            message: 'required when FLYTE_ENDPOINT is set (comma-separated projects, or * for all)',
          },
        ],
      });
    },
  );

  it('accepts an endpoint with * as the allow-list', () => {
    // Act
    const settings = loadSettings({ FLYTE_ENDPOINT: 'http://127.0.0.1:8089', FLYTE_PROJECTS: '*' });

    // Assess
    expect(settings).toMatchObject({ FLYTE_ENDPOINT: 'http://127.0.0.1:8089', FLYTE_PROJECTS: ['*'] });
  });
});

describe('ConfigError names every bad variable at once', () => {
  it('reports range, URL and cross-field failures together', () => {
    // Prepare
    const env = {
      FLYTE_ENDPOINT: 'ftp://flyte',
      FLYTE_AUTH: 'managed-identity',
      UPSTREAM_MAX_RETRIES: '11',
      UPSTREAM_CONNECTIONS: '0',
    };

    // Act
    const error = thrownBy(() => loadSettings(env));

    // Assess
    expect(pathsOf(error)).toStrictEqual([
      'FLYTE_ENDPOINT',
      'FLYTE_PROJECTS',
      'FLYTE_SCOPE',
      'UPSTREAM_CONNECTIONS',
      'UPSTREAM_MAX_RETRIES',
    ]);
    const detail = (error as { detail: string }).detail;
    for (const name of pathsOf(error)) expect(detail).toContain(`${name}: `);
  });

  // The cross-field rules (FLYTE_TOKEN_URL, FLYTE_CLIENT_ID, FLYTE_PROJECTS, ...) are reported
  // together with type errors, not only on the next start-up: zod skips a refinement once any
  // field has failed its type.
  it('still names the missing client-credentials settings when a number is not a number', () => {
    // Prepare
    const env = {
      FLYTE_AUTH: 'client-credentials',
      FLYTE_CLIENT_SECRET: 's3cr3t-value',
      UPSTREAM_MAX_RETRIES: 'abc',
    };

    // Act
    const error = thrownBy(() => loadSettings(env));

    // Assess
    expect(pathsOf(error)).toStrictEqual(['FLYTE_CLIENT_ID', 'FLYTE_TOKEN_URL', 'UPSTREAM_MAX_RETRIES']);
  });

  // Likewise an unknown FLYTE_AUTH must not hide the missing FLYTE_PROJECTS.
  it('still names FLYTE_PROJECTS when FLYTE_AUTH is not a known mode', () => {
    // Act
    const error = thrownBy(() =>
      loadSettings({ FLYTE_AUTH: 'oauth', FLYTE_ENDPOINT: 'http://127.0.0.1:8089' }),
    );

    // Assess
    expect(pathsOf(error)).toStrictEqual(['FLYTE_AUTH', 'FLYTE_PROJECTS']);
  });
});

describe.each([
  {
    case: 'a client secret beside a bad token URL',
    env: {
      FLYTE_AUTH: 'client-credentials',
      FLYTE_CLIENT_ID: 'gw',
      FLYTE_CLIENT_SECRET: 's3cr3t-value',
      FLYTE_TOKEN_URL: 'ftp://login',
    },
  },
  {
    case: 'a client secret beside a bad number',
    env: { FLYTE_AUTH: 'client-credentials', FLYTE_CLIENT_SECRET: 's3cr3t-value', UPSTREAM_MAX_RETRIES: 'x' },
  },
  {
    case: 'an API key beside a missing allow-list',
    env: { FLYTE_AUTH: 'api-key', FLYTE_API_KEY: 's3cr3t-value', FLYTE_ENDPOINT: 'http://127.0.0.1:8089' },
  },
  {
    case: 'a storage connection string beside a bad enum',
    env: { AzureWebJobsStorage: 'AccountKey=s3cr3t-value', FLYTE_AUTH: 'bogus' },
  },
  { case: 'a secret pasted into a URL setting', env: { FLYTE_TOKEN_URL: 's3cr3t-value' } },
  { case: 'a secret pasted into FLYTE_AUTH', env: { FLYTE_AUTH: 's3cr3t-value' } },
])('ConfigError with $case', ({ env }) => {
  it('never contains the secret value', () => {
    // Act
    const error = thrownBy(() => loadSettings(env));

    // Assess
    expect(error).toMatchObject({ type: 'invalid-configuration' });
    const { message, detail, errors } = error as { message: string; detail: string; errors: unknown };
    const rendered = JSON.stringify({ message, detail, errors, problem: toProblem(error, 'req-1') });
    expect(rendered).not.toContain('s3cr3t-value');
    expect(rendered).toContain('Invalid settings: ');
  });
});

describe('FUNCTION_KEYS=off needs AUTH_MODE=entra', () => {
  it.each([{}, { AUTH_MODE: 'key' }])('refuses off with %o: nothing else would check the caller', (mode) => {
    // Act
    const error = thrownBy(() => loadSettings({ FUNCTION_KEYS: 'off', ...mode }));

    // Assess
    expect(error).toMatchObject({ type: 'invalid-configuration' });
    expect((error as { errors: unknown[] }).errors).toEqual([
      {
        path: 'FUNCTION_KEYS',
        message: 'may be off only with AUTH_MODE=entra (with neither, anyone could call every operation)',
      },
    ]);
  });

  it('loads off with AUTH_MODE=entra', () => {
    // Act
    const settings = loadSettings({
      FUNCTION_KEYS: 'off',
      AUTH_MODE: 'entra',
      ENTRA_TENANT_ID: 't',
      ENTRA_AUDIENCES: 'api://gw',
    });

    // Assess
    expect(settings).toMatchObject({ FUNCTION_KEYS: 'off', AUTH_MODE: 'entra' });
  });
});

describe('OTEL_TRACES_SAMPLER_ARG: a rate for the rate-limited sampler, a ratio for the others', () => {
  it.each(['microsoft.fixed_percentage', 'traceidratio', 'parentbased_traceidratio'])(
    'refuses 5 with %s: a ratio is at most 1',
    (sampler) => {
      // Act
      const error = thrownBy(() =>
        loadSettings({ OTEL_TRACES_SAMPLER: sampler, OTEL_TRACES_SAMPLER_ARG: '5' }),
      );

      // Assess
      expect((error as { errors: unknown[] }).errors).toEqual([
        {
          path: 'OTEL_TRACES_SAMPLER_ARG',
          message: `must be a ratio from 0 to 1 with OTEL_TRACES_SAMPLER=${sampler}`,
        },
      ]);
    },
  );

  it('takes 50 traces a second for the default sampler, and refuses a negative number', () => {
    // Act
    const settings = loadSettings({ OTEL_TRACES_SAMPLER_ARG: '50' });
    const error = thrownBy(() => loadSettings({ OTEL_TRACES_SAMPLER_ARG: '-1' }));

    // Assess
    expect(settings).toMatchObject({
      OTEL_TRACES_SAMPLER: 'microsoft.rate_limited',
      OTEL_TRACES_SAMPLER_ARG: 50,
    });
    expect(pathsOf(error)).toEqual(['OTEL_TRACES_SAMPLER_ARG']);
  });
});

describe('limits derived from two settings', () => {
  it('the MCP inline zip cap is lowered to what fits MAX_JSON_BODY_BYTES as base64', () => {
    // Act
    const roomy = mcpInlineZipLimit(loadSettings({}));
    const tight = mcpInlineZipLimit(loadSettings({ MAX_JSON_BODY_BYTES: String(1024 * 1024) }));

    // Assess: 2 MiB by default; under a 1 MiB JSON cap, 3/4 of what is left after 64 KiB
    expect(roomy).toBe(2 * 1024 * 1024);
    expect(tight).toBe(((1024 * 1024 - 64 * 1024) / 4) * 3);
    expect(Math.ceil(tight / 3) * 4 + 64 * 1024).toBeLessThanOrEqual(1024 * 1024);
  });

  it('the upstream deadline is never shorter than one silence (UPSTREAM_TIMEOUT_MS)', () => {
    expect(upstreamDeadline(loadSettings({}))).toBe(60_000);
    expect(upstreamDeadline(loadSettings({ UPSTREAM_TIMEOUT_MS: '120000' }))).toBe(120_000);
  });
});
