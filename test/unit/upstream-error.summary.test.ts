/**
 * Upstream error answers are summarised, not relayed (issue 15): which fields of a Flyte or
 * Azure ML error body a problem keeps on 4xx and on 5xx, how secrets and stack traces are
 * removed from what is kept, and that non-JSON and huge bodies leave nothing but the status.
 */
import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../../src/problems/errors.js';
import { toProblem } from '../../src/problems/to-problem.js';
import { cleanUpstreamMessage, redactSecrets } from '../../src/problems/upstream-summary.js';
import { upstreamFailure } from '../../src/upstream/failure.js';
import type { UpstreamResponse } from '../../src/upstream/http-client.js';

const FLYTE = 'Flyte Admin';
const AML = 'Azure ML';

const JWT =
  'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJnYXRld2F5IiwiYXVkIjoiYXBpOi8vZmx5dGUifQ.c2lnbmF0dXJlLXBhcnQtMTIz';
const ACCOUNT_KEY = 'AccountKey=Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4OTA=';
const STACK = '    at Object.handler (/srv/flyteadmin/pkg/manager/impl/execution_manager.go:812:3)';

/** Everything the problem would show or log. */
function rendered(error: UpstreamError): string {
  return `${JSON.stringify(toProblem(error, 'req-1'))}\n${error.name}: ${error.detail}`;
}

/** An upstream answer as the HTTP client hands it over. */
function answer(
  status: number,
  text: string,
  headers: Record<string, string> = {},
  upstream = FLYTE,
): UpstreamResponse {
  return {
    upstream,
    status,
    headers,
    body: new Response(text).body as ReadableStream<Uint8Array>,
    attempts: 1,
  };
}

/** Azure ML's ErrorResponse, as the service (and the emulator) render it. */
function amlBody(status: number, message: string) {
  return {
    error: {
      code: status >= 500 ? 'ServiceError' : 'UserError',
      severity: null,
      message,
      messageFormat: 'Run {runId} failed',
      messageParameters: { runId: 'r-1' },
      referenceCode: 'ref-internal-42',
      detailsUri: 'https://10.0.0.12/internal/details',
      target: 'runDefinition.script',
      details: [{ code: 'Inner', message: `detail with ${ACCOUNT_KEY}` }],
      innerError: { code: 'NotFoundError', innerError: null },
      debugInfo: { type: 'System.Exception', message: `boom ${JWT}`, stackTrace: STACK },
      additionalInfo: [{ type: 'PolicyViolation', info: { host: '10.0.0.12' } }],
    },
    correlation: { operation: '4bf3a1c09e2d47f8a6b5c4d3e2f1a0b9', request: '9c8b7a6f5e4d3c2b' },
    environment: 'eastus',
    location: 'eastus',
    time: '2024-05-01T10:00:00.1230000+00:00',
    componentName: 'execution',
  };
}

describe('an upstream 5xx', () => {
  it('keeps the Flyte status and numeric gRPC code, never the message or details', () => {
    // Act
    const error = new UpstreamError(FLYTE, {
      status: 500,
      body: { code: 13, message: 'internal: connection refused to 10.1.2.3:5432', details: [{ x: 1 }] },
    });

    // Assess
    expect(error.status).toBe(502);
    expect(toProblem(error, 'req-1').upstream).toEqual({ status: 500, body: { code: 13 } });
    expect(error.detail).toBe('Flyte Admin answered 500.');
    expect(rendered(error)).not.toMatch(/10\.1\.2\.3|connection refused|details/);
  });

  it('keeps the Azure ML error.code and correlation, never message, innerError, debugInfo or target', () => {
    // Act
    const error = new UpstreamError(AML, { status: 500, body: amlBody(500, `crash ${ACCOUNT_KEY}`) });

    // Assess
    expect(toProblem(error, 'req-1').upstream).toEqual({
      status: 500,
      body: {
        error: { code: 'ServiceError' },
        correlation: { operation: '4bf3a1c09e2d47f8a6b5c4d3e2f1a0b9', request: '9c8b7a6f5e4d3c2b' },
      },
    });
    expect(error.detail).toBe('Azure ML answered 500 (ServiceError).');
    expect(rendered(error)).not.toMatch(
      /crash|AccountKey|eyJ|debugInfo|innerError|NotFoundError|target|10\.0\.0\.12|ref-internal|eastus/,
    );
  });

  it('keeps the request id header the upstream sent', async () => {
    // Act
    const error = await upstreamFailure(
      answer(503, JSON.stringify({ code: 14, message: 'unavailable' }), {
        'x-ms-request-id': '5f0c7e2a-1111-4c1e-9a4f-0e0e0e0e0e0e',
      }),
    );

    // Assess
    expect(toProblem(error, 'req-1').upstream).toEqual({
      status: 503,
      body: { code: 14 },
      requestId: '5f0c7e2a-1111-4c1e-9a4f-0e0e0e0e0e0e',
    });
  });

  it('reads x-request-id when there is no x-ms-request-id, and drops one that is not a plain id', async () => {
    // Act
    const plain = await upstreamFailure(answer(500, '{}', { 'x-request-id': 'req-abc-123' }));
    const odd = await upstreamFailure(answer(500, '{}', { 'x-request-id': `Bearer ${JWT}` }));

    // Assess
    expect(plain.upstream.requestId).toBe('req-abc-123');
    expect(odd.upstream).toEqual({ status: 500, body: undefined });
  });

  it('is summarised the same for 1xx/3xx answers (not 4xx): no message', () => {
    // Act
    const error = new UpstreamError(FLYTE, { status: 302, body: { code: 2, message: 'see elsewhere' } });

    // Assess
    expect(error.status).toBe(502);
    expect(error.upstream.body).toEqual({ code: 2 });
    expect(error.detail).toBe('Flyte Admin answered 302.');
  });
});

describe('an upstream 4xx', () => {
  it('keeps the Flyte code and message, and puts the message in the detail', () => {
    // Act
    const error = new UpstreamError(FLYTE, {
      status: 400,
      body: { code: 3, message: 'missing launch plan', details: [{ '@type': 'x', internal: 'y' }] },
    });

    // Assess
    expect(error.status).toBe(400);
    expect(toProblem(error, 'req-1').upstream).toEqual({
      status: 400,
      body: { code: 3, message: 'missing launch plan' },
    });
    expect(error.detail).toBe('Flyte Admin answered 400: missing launch plan');
  });

  it('keeps Azure ML error.code and error.message only (and the correlation ids)', () => {
    // Act
    const error = new UpstreamError(AML, { status: 404, body: amlBody(404, 'Run r-1 not found.') });

    // Assess
    expect(toProblem(error, 'req-1').upstream).toEqual({
      status: 404,
      body: {
        error: { code: 'UserError', message: 'Run r-1 not found.' },
        correlation: { operation: '4bf3a1c09e2d47f8a6b5c4d3e2f1a0b9', request: '9c8b7a6f5e4d3c2b' },
      },
    });
    expect(error.detail).toBe('Azure ML answered 404 (UserError): Run r-1 not found.');
    expect(rendered(error)).not.toMatch(/innerError|NotFoundError|debugInfo|target|details|messageFormat/);
  });

  it('keeps the code the batch classifier reads (Flyte 9 on a 400)', () => {
    // Act
    const error = new UpstreamError(FLYTE, {
      status: 400,
      body: { code: 9, message: 'Cannot abort an already terminated workflow execution' },
    });

    // Assess
    expect(error.upstream.status).toBe(400);
    expect((error.upstream.body as { code?: unknown }).code).toBe(9);
  });

  it('caps the message at 500 characters, in the body and the detail', () => {
    // Act
    const error = new UpstreamError(FLYTE, { status: 400, body: { code: 3, message: 'm'.repeat(5000) } });

    // Assess
    const message = (error.upstream.body as { message: string }).message;
    expect(message).toHaveLength(500);
    expect(message.endsWith('…')).toBe(true);
    expect(error.detail).toBe(`Flyte Admin answered 400: ${message}`);
  });

  it('drops a code that is free text rather than an identifier', () => {
    // Act
    const error = new UpstreamError(FLYTE, {
      status: 400,
      body: { code: 'see /etc/passwd on host 10.0.0.1' },
    });

    // Assess
    expect(error.upstream.body).toBeUndefined();
    expect(error.detail).toBe('Flyte Admin answered 400.');
  });

  it('drops a message that is markup', () => {
    // Act
    const error = new UpstreamError(FLYTE, {
      status: 400,
      body: { code: 3, message: '<html><body><h1>Bad Request</h1><p>nginx at 10.0.0.7</p></body></html>' },
    });

    // Assess
    expect(error.upstream.body).toEqual({ code: 3 });
    expect(rendered(error)).not.toMatch(/html|nginx|10\.0\.0\.7/);
  });
});

describe('secrets in a kept message', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['a JWT', `token was ${JWT}`, /eyJ|c2lnbmF0dXJl/],
    [
      'an AccountKey=',
      `storage DefaultEndpointsProtocol=https;AccountName=acct;${ACCOUNT_KEY};EndpointSuffix=core.windows.net`,
      /Zm9vYmFy|AccountName=acct/,
    ],
    ['a lone AccountKey=', `bad key ${ACCOUNT_KEY}`, /Zm9vYmFy/],
    [
      'a SharedAccessKey=',
      'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=c2VjcmV0a2V5MTIz',
      /c2VjcmV0a2V5MTIz|servicebus/,
    ],
    ['a lone SharedAccessKey=', 'key SharedAccessKey=c2VjcmV0a2V5MTIz rejected', /c2VjcmV0a2V5MTIz/],
    [
      'a SAS sig=',
      'blob https://acct.blob.core.windows.net/c/b?sv=2022-11-02&se=2030-01-01&sig=AbCdEf%2BGh%3D denied',
      /AbCdEf/,
    ],
    [
      'a SharedAccessSignature',
      'SharedAccessSignature sr=ns&sig=QWxhZGRpbjpvcGVu&se=1700000000&skn=root',
      /QWxhZGRpbjpvcGVu|sr=ns/,
    ],
    [
      'a Bearer token',
      'upstream said Authorization: Bearer abcdef0123456789xyz was rejected',
      /abcdef0123456789xyz/,
    ],
    ['a password=', 'login failed for password=hunter2!', /hunter2/],
    ['a secret=', 'client secret=s3cr3t-value denied', /s3cr3t-value/],
    ['a JSON "password": value', 'config {"password": "p@ss-w0rd"} invalid', /p@ss-w0rd/],
    [
      'a SQL connection string',
      'Server=tcp:db.internal,1433;Initial Catalog=x;Password=Pa55w0rd',
      /Pa55w0rd|db\.internal/,
    ],
    ['user info in a URL', 'cannot reach https://admin:letmein@10.0.0.5/api', /letmein/],
  ];

  it.each(cases)('redacts %s', (_name, message, leaked) => {
    // Act
    const error = new UpstreamError(FLYTE, { status: 400, body: { code: 3, message } });

    // Assess
    expect(rendered(error)).not.toMatch(leaked);
    expect(error.detail).toContain('[redacted]');
  });

  it('leaves ordinary messages alone', () => {
    // Act
    const cleaned = cleanUpstreamMessage('missing entity of type execution with identifier name:"run-1"');

    // Assess
    expect(cleaned).toBe('missing entity of type execution with identifier name:"run-1"');
  });

  it('are redacted by redactSecrets on their own', () => {
    // Act
    const out = redactSecrets(`a ${JWT} b ${ACCOUNT_KEY} c Bearer abcdefgh12345678`);

    // Assess
    expect(out).toBe('a [redacted] b AccountKey=[redacted] c Bearer [redacted]');
  });
});

describe('stack traces in a kept message', () => {
  it('are dropped with everything after their first line', () => {
    // Act
    const error = new UpstreamError(FLYTE, {
      status: 400,
      body: { code: 3, message: `invalid launch plan\n${STACK}\n    at next (/srv/x.js:1:1)\nafter: leak` },
    });

    // Assess
    expect(error.detail).toBe('Flyte Admin answered 400: invalid launch plan');
    expect(rendered(error)).not.toMatch(/execution_manager|srv|leak/);
  });

  it.each([
    ['Java', 'bad\n\tat com.example.Handler.run(Handler.java:42)'],
    ['.NET', 'bad\n   at Microsoft.ML.Runs.Start() in /src/Runs.cs:line 12'],
    ['Python', 'bad\nTraceback (most recent call last):\n  File "/app/x.py", line 3, in <module>'],
    ['Go', 'bad\ngoroutine 1 [running]:\nmain.main()'],
  ])('are dropped for %s traces', (_name, message) => {
    // Act
    const cleaned = cleanUpstreamMessage(message);

    // Assess
    expect(cleaned).toBe('bad');
  });

  it('leave nothing when the message starts with one', () => {
    // Act
    const error = new UpstreamError(FLYTE, { status: 400, body: { code: 3, message: STACK } });

    // Assess
    expect(error.upstream.body).toEqual({ code: 3 });
    expect(error.detail).toBe('Flyte Admin answered 400.');
  });
});

describe('non-JSON and huge upstream bodies', () => {
  it('an HTML error page leaves only the status', async () => {
    // Prepare
    const page = `<!DOCTYPE html><html><head><title>502</title></head><body>${'<p>upstream 10.20.30.40:8080 down</p>'.repeat(2000)}</body></html>`;

    // Act
    const error = await upstreamFailure(answer(502, page));

    // Assess
    expect(toProblem(error, 'req-1').upstream).toEqual({ status: 502 });
    expect(error.detail).toBe('Flyte Admin answered 502.');
    expect(rendered(error)).not.toMatch(/html|10\.20\.30\.40/);
  });

  it('a plain-text 4xx leaves only the status', async () => {
    // Act
    const error = await upstreamFailure(answer(400, `bad request ${ACCOUNT_KEY}`));

    // Assess
    expect(toProblem(error, 'req-1').upstream).toEqual({ status: 400 });
    expect(error.detail).toBe('Flyte Admin answered 400.');
  });

  it('a JSON body past the read cap is not parsed, so nothing of it is relayed', async () => {
    // Prepare: 100 KiB of JSON, cut at 64 KiB.
    const body = JSON.stringify({ code: 3, message: 'x'.repeat(100 * 1024) });

    // Act
    const error = await upstreamFailure(answer(400, body));

    // Assess
    expect(toProblem(error, 'req-1').upstream).toEqual({ status: 400 });
  });

  it('a huge JSON message within the cap is kept to 500 characters', async () => {
    // Act
    const error = await upstreamFailure(
      answer(400, JSON.stringify({ code: 3, message: `${'y'.repeat(40 * 1024)}` })),
    );

    // Assess
    expect(JSON.stringify(toProblem(error, 'req-1')).length).toBeLessThan(1500);
  });

  it('JSON that is not an object (a string, an array) leaves only the status', () => {
    // Act
    const text = new UpstreamError(FLYTE, { status: 400, body: 'bad request' });
    const list = new UpstreamError(FLYTE, { status: 500, body: [{ code: 13 }] });

    // Assess
    expect(text.upstream).toEqual({ status: 400, body: undefined });
    expect(list.upstream).toEqual({ status: 500, body: undefined });
  });
});
