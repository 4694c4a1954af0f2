import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config.js';
import { thrownBy } from '../helpers/unit-factories.js';

describe.each([
  { given: 'flytesnacks', expected: ['flytesnacks'] },
  { given: 'flytesnacks,ml', expected: ['flytesnacks', 'ml'] },
  { given: ' flytesnacks , ml ', expected: ['flytesnacks', 'ml'] },
  { given: 'a,,b,', expected: ['a', 'b'] },
  { given: ',', expected: [] },
  { given: '*', expected: ['*'] },
  { given: ' * ', expected: ['*'] },
])('FLYTE_PROJECTS="$given"', ({ given, expected }) => {
  it(`parses to ${JSON.stringify(expected)}`, () => {
    // Act
    const settings = loadSettings({ FLYTE_PROJECTS: given });

    // Assess
    expect(settings.FLYTE_PROJECTS).toStrictEqual(expected);
  });
});

describe.each([
  { given: 'http://127.0.0.1:8089', expected: 'http://127.0.0.1:8089' },
  { given: 'http://127.0.0.1:8089/', expected: 'http://127.0.0.1:8089' },
  { given: 'https://flyte.example.com/admin///', expected: 'https://flyte.example.com/admin' },
  { given: ' https://flyte.example.com ', expected: 'https://flyte.example.com' },
])('URL setting "$given"', ({ given, expected }) => {
  it.each(['FLYTE_ENDPOINT', 'FLYTE_TOKEN_URL'] as const)(`is kept as ${expected} in %s`, (name) => {
    // Act
    const settings = loadSettings({ [name]: given, FLYTE_PROJECTS: '*' });

    // Assess
    expect(settings[name]).toBe(expected);
  });
});

describe.each([
  'ftp://flyte.example.com',
  'file:///etc/passwd',
  'javascript:alert(1)',
  'flyte.example.com',
  'not a url',
])('URL setting "%s"', (given) => {
  it.each(['FLYTE_ENDPOINT', 'FLYTE_TOKEN_URL'] as const)('is refused in %s as not http(s)', (name) => {
    // Act
    const error = thrownBy(() => loadSettings({ [name]: given, FLYTE_PROJECTS: '*' }));

    // Assess
    expect(error).toMatchObject({
      type: 'invalid-configuration',
      errors: [{ path: name, message: 'must be an http(s) URL' }],
    });
  });
});
