import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config.js';
import { ConfigError } from '../../src/problems/errors.js';
import { thrownBy } from '../helpers/unit-factories.js';

describe('loadSettings: defaults', () => {
  it('fills every default when the environment is empty', () => {
    // Act
    const settings = loadSettings({});

    // Assess
    expect(settings).toStrictEqual({
      FLYTE_AUTH: 'none',
      FLYTE_PROJECTS: [],
      FLYTE_MAX_LIST_LIMIT: 1000,
      MAX_JSON_BODY_BYTES: 4 * 1024 * 1024,
      MAX_JSON_DEPTH: 128,
      UPSTREAM_TIMEOUT_MS: 30_000,
      UPSTREAM_DEADLINE_MS: 60_000,
      UPSTREAM_MAX_RETRIES: 2,
      UPSTREAM_MAX_RETRY_AFTER_MS: 10_000,
      UPSTREAM_CONNECTIONS: 64,
      FLYTE_DOMAINS: ['*'],
      FLYTE_ORGS: [],
      FLYTE_SERVICE_ACCOUNTS: [],
      FLYTE_IAM_ROLES: [],
      AUTH_MODE: 'key',
      FUNCTION_KEYS: 'required',
      ENTRA_AUDIENCES: [],
      WEBSITE_AUTH_ENABLED: false,
      ALLOWED_ORIGINS: [],
      DROP_IN_ROUTES: false,
      AZUREML_AUTH: 'managed-identity',
      AZUREML_SCOPE: 'https://management.azure.com/.default',
      AZUREML_WORKSPACES: [],
      AZUREML_DISCOVERY_TTL_SECONDS: 3600,
      AZURE_CLOUD: 'AzureCloud',
      MAX_PROJECT_ZIP_BYTES: 300 * 1024 * 1024,
      FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: 5 * 1024 * 1024,
      STAGING_CONTAINER: 'staging',
      STAGING_RETAIN: false,
      UPLOAD_SLOT_MINUTES: 60,
      UPLOAD_SLOTS: 'on',
      MCP_MAX_INLINE_ZIP_BYTES: 2 * 1024 * 1024,
      MCP_MAX_ANSWER_BYTES: 4 * 1024 * 1024,
      CANCEL_QUEUE: 'cancellations',
      CANCEL_TABLE: 'cancellations',
      CANCEL_CONCURRENCY: 16,
      CANCEL_MAX_ATTEMPTS: 5,
      CANCEL_MAX_RETRY_AFTER_S: 900,
      MAX_BATCH_TARGETS: 10_000,
      LOG_LEVEL: 'info',
      OTEL_SERVICE_NAME: 'execution-gateway',
      OTEL_TRACES_SAMPLER: 'microsoft.rate_limited',
      TELEMETRY_CONSOLE: false,
    });
  });

  it('treats empty and blank values as unset', () => {
    // Prepare
    const env = {
      FLYTE_ENDPOINT: '',
      FLYTE_AUTH: '',
      FLYTE_API_KEY: '',
      FLYTE_PROJECTS: '   ',
      UPSTREAM_MAX_RETRIES: ' ',
      MAX_JSON_BODY_BYTES: '',
      AzureWebJobsStorage: '',
    };

    // Act
    const settings = loadSettings(env);

    // Assess
    expect(settings).toStrictEqual(loadSettings({}));
  });

  it('keeps only its own keys, so unrelated variables never reach the settings', () => {
    // Act
    const settings = loadSettings({ PATH: '/usr/bin', SOME_TOKEN: 'abc', UPSTREAM_CONNECTIONS: '8' });

    // Assess
    expect(Object.keys(settings)).not.toContain('PATH');
    expect(Object.keys(settings)).not.toContain('SOME_TOKEN');
    expect(settings.UPSTREAM_CONNECTIONS).toBe(8);
  });

  it('keeps optional text settings as given', () => {
    // Act
    const settings = loadSettings({
      AZURE_CLIENT_ID: ' 1111-2222 ',
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    });

    // Assess
    expect(settings.AZURE_CLIENT_ID).toBe('1111-2222');
    expect(settings.AzureWebJobsStorage).toBe('UseDevelopmentStorage=true');
  });
});

describe.each([
  { name: 'UPSTREAM_MAX_RETRIES', value: '0', expected: 0 },
  { name: 'UPSTREAM_MAX_RETRIES', value: ' 7 ', expected: 7 },
  { name: 'UPSTREAM_MAX_RETRIES', value: '10', expected: 10 },
  { name: 'MAX_JSON_BODY_BYTES', value: '1024', expected: 1024 },
  { name: 'MAX_JSON_BODY_BYTES', value: String(64 * 1024 * 1024), expected: 64 * 1024 * 1024 },
  { name: 'UPSTREAM_TIMEOUT_MS', value: '100', expected: 100 },
  { name: 'UPSTREAM_MAX_RETRY_AFTER_MS', value: '0', expected: 0 },
  { name: 'UPSTREAM_CONNECTIONS', value: '1024', expected: 1024 },
  { name: 'FLYTE_MAX_LIST_LIMIT', value: '1', expected: 1 },
] as const)('loadSettings: $name=$value', ({ name, value, expected }) => {
  it(`is coerced to the number ${expected}`, () => {
    // Act
    const settings = loadSettings({ [name]: value });

    // Assess
    expect(settings[name]).toBe(expected);
  });
});

describe.each([
  { name: 'UPSTREAM_MAX_RETRIES', value: 'abc', message: 'must be a whole number' },
  { name: 'UPSTREAM_MAX_RETRIES', value: '11', message: 'Too big: expected number to be <=10' },
  { name: 'UPSTREAM_MAX_RETRIES', value: '-1', message: 'must be a whole number' },
  { name: 'MAX_JSON_BODY_BYTES', value: '1023', message: 'Too small: expected number to be >=1024' },
  { name: 'MAX_JSON_BODY_BYTES', value: '1.5', message: 'must be a whole number' },
  { name: 'MAX_JSON_BODY_BYTES', value: '0x1000', message: 'must be a whole number' },
  { name: 'UPSTREAM_TIMEOUT_MS', value: '1e3', message: 'must be a whole number' },
  { name: 'UPSTREAM_TIMEOUT_MS', value: '230001', message: 'Too big: expected number to be <=230000' },
  { name: 'UPSTREAM_CONNECTIONS', value: '0', message: 'Too small: expected number to be >=1' },
  { name: 'FLYTE_MAX_LIST_LIMIT', value: '10001', message: 'Too big: expected number to be <=10000' },
  {
    name: 'FLYTE_AUTH',
    value: 'API-KEY',
    message: 'Invalid option: expected one of "none"|"api-key"|"client-credentials"|"managed-identity"',
  },
])('loadSettings: bad $name=$value', ({ name, value, message }) => {
  it('is refused with a ConfigError naming that variable only', () => {
    // Act
    const error = thrownBy(() => loadSettings({ [name]: value }));

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({
      type: 'invalid-configuration',
      status: 500,
      errors: [{ path: name, message }],
    });
    expect((error as ConfigError).detail).toBe(`Invalid settings: ${name}: ${message}`);
  });
});
