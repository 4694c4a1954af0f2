import { describe, expect, it } from 'vitest';
import { matchTemplate, parseTemplate } from '../../src/http/route-template.js';

describe('parseTemplate', () => {
  it('splits literals, params and a catch-all, lower-casing literals', () => {
    // Act
    const route = parseTemplate('V1/Api/{id-project}/{*rest}');

    // Assess
    expect(route).toStrictEqual({
      template: 'V1/Api/{id-project}/{*rest}',
      segments: [
        { kind: 'literal', value: 'v1' },
        { kind: 'literal', value: 'api' },
        { kind: 'param', name: 'id-project' },
        { kind: 'rest', name: 'rest' },
      ],
    });
  });
});

describe.each([
  { template: 'v1/health', path: '/v1/health', expected: {} },
  { template: 'v1/health', path: '/V1/HEALTH', expected: {} },
  { template: 'v1/health', path: '/v1/health/', expected: {} },

  { template: 'v1/health', path: '/v1/%68ealth', expected: {} },
  { template: 'v1/x/{id}', path: '/v1/x/MyRun', expected: { id: 'MyRun' } },
  { template: 'v1/x/{id}', path: '/v1/x/a%2Fb', expected: { id: 'a/b' } },
  { template: 'v1/x/{id}', path: '/v1/x/..%2F', expected: { id: '../' } },
  { template: 'v1/x/{id}', path: '/v1/x/a%20b', expected: { id: 'a b' } },
  { template: 'v1/x/{id}', path: '/v1/x/%E0%A4%A', expected: { id: '%E0%A4%A' } },
  { template: 'v1/{a}/{b}', path: '/v1/p/d', expected: { a: 'p', b: 'd' } },
  { template: '{*path}', path: '/', expected: { path: '' } },
  { template: '{*path}', path: '/a/b%2Fc/d', expected: { path: 'a/b/c/d' } },
  { template: '{*path}', path: '/v1//health', expected: { path: 'v1//health' } },
  { template: 'v1/files/{*path}', path: '/v1/files', expected: { path: '' } },
  { template: 'v1/files/{*path}', path: '/v1/Files/x/y', expected: { path: 'x/y' } },
])('matchTemplate($template, $path)', ({ template, path, expected }) => {
  it(`gives ${JSON.stringify(expected)}`, () => {
    // Act
    const params = matchTemplate(parseTemplate(template), path);

    // Assess
    expect(params).toStrictEqual(expected);
  });
});

describe.each([
  { template: 'v1/health', path: '/v1/healthz' },
  { template: 'v1/health', path: '/v1' },
  { template: 'v1/health', path: '/v1/health/extra' },
  { template: 'v1/health', path: '/v1%2Fhealth' },
  { template: 'v1/x/{id}', path: '/v1/x' },
  { template: 'v1/x/{id}', path: '/v1/x/a/b' },
  { template: 'v1/{a}/{b}', path: '/v1/p' },
  { template: 'v1/files/{*path}', path: '/v2/files/x' },
  { template: '', path: '/anything' },
  // Empty segments, as the host's routing treats them: only one leading and one trailing
  // slash are ignored, and a path starting with // matches nothing (docs/functions-host.md 2.3).
  { template: 'v1/health', path: '/v1//health' },
  { template: 'v1/health', path: '/v1/health//' },
  { template: 'v1/health', path: '//v1/health' },
  { template: 'v1/x/{id}', path: '/v1/x//' },
  { template: '{*path}', path: '//v1/health' },
])('matchTemplate($template, $path)', ({ template, path }) => {
  it('does not match', () => {
    // Act
    const params = matchTemplate(parseTemplate(template), path);

    // Assess
    expect(params).toBeNull();
  });
});
