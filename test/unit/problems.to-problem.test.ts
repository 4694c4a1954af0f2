import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  MalformedJsonError,
  MethodNotAllowedError,
  NotAllowedError,
  PayloadTooLargeError,
  RouteNotFoundError,
  UnsupportedMediaTypeError,
  UpstreamAuthError,
  UpstreamError,
  UpstreamNotConfiguredError,
  UpstreamTimeoutError,
  UpstreamUnreachableError,
  ValidationError,
} from '../../src/problems/errors.js';
import { PROBLEM_CONTENT_TYPE, problemResponse, toProblem } from '../../src/problems/to-problem.js';
import { jsonOf } from '../helpers/unit-factories.js';

const FLYTE = 'Flyte Admin';

describe.each([
  {
    name: 'ValidationError',
    error: () =>
      new ValidationError([{ path: 'body.spec.launch_plan.version', message: 'is required (string)' }]),
    expected: {
      type: '/problems/validation-failed',
      title: 'Request validation failed',
      status: 400,
      detail: 'body.spec.launch_plan.version: is required (string)',
      errors: [{ path: 'body.spec.launch_plan.version', message: 'is required (string)' }],
    },
  },
  {
    name: 'ValidationError without field errors',
    error: () => new ValidationError([]),
    expected: {
      type: '/problems/validation-failed',
      title: 'Request validation failed',
      status: 400,
      detail: 'The request is not valid.',
      errors: [],
    },
  },
  {
    name: 'MalformedJsonError',
    error: () => new MalformedJsonError(),
    expected: {
      type: '/problems/malformed-json',
      title: 'Malformed JSON',
      status: 400,
      detail: 'The request body is not valid JSON.',
    },
  },
  {
    name: 'UnsupportedMediaTypeError',
    error: () => new UnsupportedMediaTypeError('text/plain'),
    expected: {
      type: '/problems/unsupported-media-type',
      title: 'Unsupported media type',
      status: 415,
      detail: 'Content-Type "text/plain" is not accepted; send application/json.',
    },
  },
  {
    name: 'PayloadTooLargeError',
    error: () => new PayloadTooLargeError(1024),
    expected: {
      type: '/problems/payload-too-large',
      title: 'Payload too large',
      status: 413,
      detail: 'The request body exceeds the limit of 1024 bytes.',
    },
  },
  {
    name: 'NotAllowedError',
    error: () => new NotAllowedError('Flyte project "x" is not allowed.'),
    expected: {
      type: '/problems/forbidden',
      title: 'Forbidden',
      status: 403,
      detail: 'Flyte project "x" is not allowed.',
    },
  },
  {
    name: 'RouteNotFoundError',
    error: () => new RouteNotFoundError('/nope'),
    expected: {
      type: '/problems/not-found',
      title: 'Not found',
      status: 404,
      detail: 'No operation is served at /nope.',
    },
  },
  {
    name: 'MethodNotAllowedError',
    error: () => new MethodNotAllowedError('PUT', ['GET', 'DELETE']),
    expected: {
      type: '/problems/method-not-allowed',
      title: 'Method not allowed',
      status: 405,
      detail: 'PUT is not allowed here; use GET, DELETE.',
    },
  },
  {
    name: 'UpstreamError 404',
    error: () => new UpstreamError(FLYTE, { status: 404, body: { message: 'missing entity', code: 5 } }),
    expected: {
      type: '/problems/upstream-error',
      title: 'Upstream error',
      status: 404,
      detail: 'Flyte Admin answered 404: missing entity',
      upstream: { status: 404, body: { message: 'missing entity', code: 5 } },
    },
  },
  {
    name: 'UpstreamError 400 with a text body',
    error: () => new UpstreamError(FLYTE, { status: 400, body: 'bad request' }),
    expected: {
      type: '/problems/upstream-error',
      title: 'Upstream error',
      status: 400,
      detail: 'Flyte Admin answered 400.',
      upstream: { status: 400 },
    },
  },
  {
    name: 'UpstreamError 500',
    error: () => new UpstreamError(FLYTE, { status: 500, body: { message: 'panic' } }),
    expected: {
      type: '/problems/upstream-error',
      title: 'Upstream error',
      status: 502,
      detail: 'Flyte Admin answered 500.',
      upstream: { status: 500 },
    },
  },
  {
    name: 'UpstreamError 503',
    error: () => new UpstreamError(FLYTE, { status: 503, body: '' }),
    expected: {
      type: '/problems/upstream-error',
      title: 'Upstream error',
      status: 502,
      detail: 'Flyte Admin answered 503.',
      upstream: { status: 503 },
    },
  },
  {
    name: 'UpstreamError 429',
    error: () => new UpstreamError(FLYTE, { status: 429, body: { message: 'slow down' } }, '30'),
    expected: {
      type: '/problems/upstream-rate-limited',
      title: 'Upstream rate limited',
      status: 429,
      detail: 'Flyte Admin answered 429: slow down',
      upstream: { status: 429, body: { message: 'slow down' } },
    },
  },
  {
    name: 'UpstreamTimeoutError',
    error: () => new UpstreamTimeoutError(FLYTE, 30_000),
    expected: {
      type: '/problems/upstream-timeout',
      title: 'Upstream timeout',
      status: 504,
      detail: 'Flyte Admin did not answer within 30000 ms.',
    },
  },
  {
    name: 'UpstreamUnreachableError',
    error: () =>
      new UpstreamUnreachableError(FLYTE, Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })),
    expected: {
      type: '/problems/upstream-unreachable',
      title: 'Upstream unreachable',
      status: 502,
      detail: 'Flyte Admin could not be reached (ECONNREFUSED).',
    },
  },
  {
    name: 'UpstreamUnreachableError without a code',
    error: () => new UpstreamUnreachableError(FLYTE),
    expected: {
      type: '/problems/upstream-unreachable',
      title: 'Upstream unreachable',
      status: 502,
      detail: 'Flyte Admin could not be reached.',
    },
  },
  {
    name: 'UpstreamAuthError',
    error: () => new UpstreamAuthError(FLYTE, 'the token endpoint answered 401'),
    expected: {
      type: '/problems/upstream-auth-failed',
      title: 'Upstream credential unavailable',
      status: 502,
      detail: 'The gateway could not get a credential for Flyte Admin: the token endpoint answered 401',
    },
  },
  {
    name: 'UpstreamNotConfiguredError',
    error: () => new UpstreamNotConfiguredError(FLYTE, 'FLYTE_ENDPOINT'),
    expected: {
      type: '/problems/upstream-not-configured',
      title: 'Upstream not configured',
      status: 503,
      detail: 'Flyte Admin is not configured: set FLYTE_ENDPOINT.',
    },
  },
  {
    name: 'ConfigError',
    error: () =>
      new ConfigError([{ path: 'FLYTE_SCOPE', message: 'required when FLYTE_AUTH=managed-identity' }]),
    expected: {
      type: '/problems/invalid-configuration',
      title: 'Invalid configuration',
      status: 500,
      detail: 'Invalid settings: FLYTE_SCOPE: required when FLYTE_AUTH=managed-identity',
    },
  },
])('toProblem($name)', ({ error, expected }) => {
  it('renders status, type, title, detail and only the extras of its class', () => {
    // Act
    const body = toProblem(error(), 'req-1', '/v1/x');

    // Assess
    expect(body).toStrictEqual({ ...expected, correlationId: 'req-1', instance: '/v1/x' });
  });

  it('renders the same body in a problem+json response', async () => {
    // Act
    const response = problemResponse(error(), 'req-1', '/v1/x');

    // Assess
    expect(response.status).toBe(expected.status);
    expect(response.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
    expect(await jsonOf(response)).toStrictEqual({ ...expected, correlationId: 'req-1', instance: '/v1/x' });
  });
});

describe('toProblem without an instance', () => {
  it('leaves instance out', () => {
    // Act
    const body = toProblem(new MalformedJsonError(), 'req-2');

    // Assess
    expect(Object.keys(body)).toStrictEqual(['type', 'title', 'status', 'detail', 'correlationId']);
  });
});

describe('an upstream message', () => {
  it('is cut to 500 characters in the detail', () => {
    // Prepare
    const message = 'm'.repeat(600);

    // Act
    const body = toProblem(new UpstreamError(FLYTE, { status: 400, body: { message } }), 'req-3');

    // Assess
    expect(body.detail).toBe(`Flyte Admin answered 400: ${'m'.repeat(499)}…`);
  });
});

describe('problemResponse headers', () => {
  it('keeps Retry-After on an upstream 429', () => {
    // Act
    const response = problemResponse(new UpstreamError(FLYTE, { status: 429, body: {} }, '30'), 'req-4');

    // Assess
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('30');
  });

  it('adds no Retry-After when the upstream gave none', () => {
    // Act
    const response = problemResponse(new UpstreamError(FLYTE, { status: 429, body: {} }), 'req-5');

    // Assess
    expect(response.headers.get('retry-after')).toBeNull();
  });

  it('sets Allow on a 405', () => {
    // Act
    const response = problemResponse(new MethodNotAllowedError('POST', ['GET']), 'req-6');

    // Assess
    expect(response.headers.get('allow')).toBe('GET');
  });

  it('merges caller headers, and the content type cannot be overridden', () => {
    // Act
    const response = problemResponse(new MalformedJsonError(), 'req-7', '/v1/x', {
      'x-request-id': 'req-7',
      'content-type': 'text/html',
    });

    // Assess
    expect(response.headers.get('x-request-id')).toBe('req-7');
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  // A 3xx upstream answer (invoke treats anything but 2xx as a failure) is the gateway's 502: kept
  // as it is, a 302 would be a problem+json 302 without Location, and a 304 would make
  // `new Response(body, { status: 304 })` throw instead of rendering a problem.
  it('renders an upstream 304 as a 502 problem instead of throwing', () => {
    // Act
    const response = problemResponse(new UpstreamError(FLYTE, { status: 304, body: '' }), 'req-8');

    // Assess
    expect(response.status).toBe(502);
  });
});
