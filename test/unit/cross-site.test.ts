import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config.js';
import { bindRoute } from '../../src/http/bind-route.js';
import {
  crossSiteRefusal,
  hostRefusal,
  isLoopbackAddress,
  normalizeOrigin,
  ownOrigin,
} from '../../src/http/cross-site.js';
import { thrownBy } from '../helpers/unit-factories.js';

const URL_ = 'http://127.0.0.1:7071/v1/cancellations';
const ALLOWED = ['https://app.example.com'];

function refusal(method: string, headers: Record<string, string>, url = URL_) {
  return crossSiteRefusal({ method, url, headers: new Headers(headers) }, () => ALLOWED);
}

describe.each(['POST', 'PUT', 'PATCH', 'DELETE', 'post'])('a %s', (method) => {
  it.each<{ case: string; headers: Record<string, string> }>([
    { case: 'a foreign Origin', headers: { origin: 'https://evil.example' } },
    { case: 'Origin: null (sandboxed page, opaque origin)', headers: { origin: 'null' } },
    { case: 'another port of the same host', headers: { origin: 'http://127.0.0.1:3000' } },
    { case: 'another scheme of the same host', headers: { origin: 'https://127.0.0.1:7071' } },
    { case: 'Sec-Fetch-Site: cross-site without Origin', headers: { 'sec-fetch-site': 'cross-site' } },
    {
      case: 'Sec-Fetch-Site: cross-site with the own Origin',
      headers: { 'sec-fetch-site': 'cross-site', origin: 'http://127.0.0.1:7071' },
    },
    { case: 'Sec-Fetch-Site: same-site (a sibling site)', headers: { 'sec-fetch-site': 'same-site' } },
  ])('with $case is refused with 403 cross-site-request', ({ headers }) => {
    // Act
    const error = refusal(method, headers);

    // Assess
    expect(error).toMatchObject({
      status: 403,
      type: 'cross-site-request',
      title: 'Cross-site request refused',
    });
    expect(error?.detail).toMatch(/ALLOWED_ORIGINS/);
  });

  it.each<{ case: string; headers: Record<string, string> }>([
    { case: 'no Origin and no Sec-Fetch-Site (curl, servers, SDKs)', headers: {} },
    { case: 'the own Origin', headers: { origin: 'http://127.0.0.1:7071' } },
    {
      case: 'the own Origin and Sec-Fetch-Site: same-origin',
      headers: { origin: 'http://127.0.0.1:7071', 'sec-fetch-site': 'same-origin' },
    },
    { case: 'Sec-Fetch-Site: none (typed by the user)', headers: { 'sec-fetch-site': 'none' } },
    { case: 'an Origin on ALLOWED_ORIGINS', headers: { origin: 'https://app.example.com' } },
    {
      case: 'an allowed Origin marked cross-site',
      headers: { origin: 'https://app.example.com', 'sec-fetch-site': 'cross-site' },
    },
  ])('with $case passes', ({ headers }) => {
    // Act
    const error = refusal(method, headers);

    // Assess
    expect(error).toBeUndefined();
  });
});

describe.each(['GET', 'HEAD', 'OPTIONS'])('a %s (changes nothing)', (method) => {
  it('passes even with a foreign Origin and Sec-Fetch-Site: cross-site', () => {
    // Act
    const error = refusal(method, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });

    // Assess
    expect(error).toBeUndefined();
  });
});

describe('the own origin', () => {
  it.each<{ case: string; url: string; headers: Record<string, string>; expected: string }>([
    { case: 'the request URL', url: URL_, headers: {}, expected: 'http://127.0.0.1:7071' },
    {
      case: 'X-Forwarded-Proto and -Host behind a proxy',
      url: 'http://10.0.0.4/v1/cancellations',
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'GW.example.net:443' },
      expected: 'https://gw.example.net',
    },
  ])('is the origin of $case', ({ url, headers, expected }) => {
    // Act
    const origin = ownOrigin({ url, headers: new Headers(headers) });

    // Assess
    expect(origin).toBe(expected);
  });

  it('is compared as browsers serialize origins (the proxy host, default port dropped)', () => {
    // Act
    const error = refusal(
      'POST',
      {
        origin: 'https://gw.example.net',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'GW.example.net:443',
      },
      'http://10.0.0.4/v1/cancellations',
    );

    // Assess
    expect(error).toBeUndefined();
  });
});

describe('ALLOWED_ORIGINS', () => {
  it('is read only when a browser header is there to check', () => {
    // Prepare
    let reads = 0;
    const allowed = () => {
      reads += 1;
      return [];
    };

    // Act
    crossSiteRefusal({ method: 'POST', url: URL_, headers: new Headers() }, allowed);

    // Assess
    expect(reads).toBe(0);
  });

  it.each<{ given: string; expected: string[] }>([
    { given: '', expected: [] },
    { given: 'https://app.example.com', expected: ['https://app.example.com'] },
    {
      given: ' HTTPS://App.Example.com:443/ , http://localhost:5173',
      expected: ['https://app.example.com', 'http://localhost:5173'],
    },
  ])('"$given" parses to $expected', ({ given, expected }) => {
    // Act
    const settings = loadSettings({ ALLOWED_ORIGINS: given });

    // Assess
    expect(settings.ALLOWED_ORIGINS).toStrictEqual(expected);
  });

  it.each(['*', 'app.example.com', 'https://app.example.com/path', 'ftp://files.example.com', 'null'])(
    '"%s" stops start-up, naming ALLOWED_ORIGINS',
    (given) => {
      // Act
      const error = thrownBy(() => loadSettings({ ALLOWED_ORIGINS: given }));

      // Assess
      expect(error).toMatchObject({ errors: [expect.objectContaining({ path: 'ALLOWED_ORIGINS.0' })] });
    },
  );
});

describe('normalizeOrigin', () => {
  it.each<{ value: string; expected: string | undefined }>([
    { value: 'http://LOCALHOST:7071', expected: 'http://localhost:7071' },
    { value: 'https://a.example:443', expected: 'https://a.example' },
    { value: 'null', expected: undefined },
    { value: 'file://', expected: undefined },
    { value: 'chrome-extension://abc', expected: undefined },
  ])('$value → $expected', ({ value, expected }) => {
    // Act
    const origin = normalizeOrigin(value);

    // Assess
    expect(origin).toBe(expected);
  });
});

describe('the Host rule (local host on loopback)', () => {
  it.each([
    'localhost:7071',
    'LOCALHOST:7071',
    'localhost',
    'app.localhost:7071',
    '127.0.0.1:7071',
    '127.0.0.1',
    '127.1.2.3:80',
    '[::1]:7071',
    '[::1]',
  ])('Host %s passes', (host) => {
    // Act
    const error = hostRefusal(host);

    // Assess
    expect(error).toBeUndefined();
  });

  it.each([
    'rebind.evil.example',
    'rebind.evil.example:7071',
    'localhost.evil.example:7071',
    '127.0.0.1.evil.example',
    '10.0.0.4:7071',
    '[::2]:7071',
    '',
    'localhost:7071@evil',
  ])('Host %j is refused with 403 cross-site-request', (host) => {
    // Act
    const error = hostRefusal(host);

    // Assess
    expect(error).toMatchObject({ status: 403, type: 'cross-site-request' });
    expect(error?.detail).toMatch(/is not a loopback name/);
  });

  it('lets a request without Host pass (HTTP/1.0; no browser sends that)', () => {
    // Act
    const error = hostRefusal(undefined);

    // Assess
    expect(error).toBeUndefined();
  });

  it.each<{ address: string; expected: boolean }>([
    { address: '127.0.0.1', expected: true },
    { address: '::1', expected: true },
    { address: 'localhost', expected: true },
    { address: '0.0.0.0', expected: false },
    { address: '::', expected: false },
    { address: '192.168.1.10', expected: false },
  ])('applies when listening on $address: $expected', ({ address, expected }) => {
    // Act
    const loopback = isLoopbackAddress(address);

    // Assess
    expect(loopback).toBe(expected);
  });
});

describe('bindRoute', () => {
  it('refuses a cross-site POST before the route runs, with a problem', async () => {
    // Prepare
    let ran = false;
    const handler = bindRoute(
      'v1/cancellations',
      async () => {
        ran = true;
        return new Response(null, { status: 202 });
      },
      () => [],
    );
    const sink = { info: () => undefined, warn: () => undefined, error: () => undefined };

    // Act
    const response = await handler(
      { method: 'POST', url: URL_, headers: new Headers({ origin: 'https://evil.example' }), body: null },
      sink,
    );

    // Assess
    expect(ran).toBe(false);
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ type: '/problems/cross-site-request', status: 403 });
  });
});
