/**
 * Issue 15, end to end: an upstream 500 whose body carries a stack trace, a storage account key
 * and a JWT comes back as a 502 that names the upstream status and gRPC code — and neither the
 * answer nor any log line of the gateway contains any of those strings.
 *
 * The Flyte Admin emulator renders any unexpected failure inside an operation as a real
 * grpc-gateway 500 (`{code: 13, message: "internal emulator error: <message>", details: []}`);
 * its `outcome` hook, run when an execution is created, is made to fail with the leaky message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBody, EXECUTIONS } from '../helpers/flyte-requests.js';
import { call, type Gateway, SURFACES, startGateway } from '../helpers/gateway.js';

const ACCOUNT_KEY = 'Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4OTBhYmNkZWZnaGlqa2xtbm9w';
const JWT =
  'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJmbHl0ZWFkbWluIiwiYXVkIjoic3RvcmFnZSJ9.c2lnbmF0dXJlLXBhcnQtNDU2Nzg5';
const LEAKY_MESSAGE =
  'launch failed: DefaultEndpointsProtocol=https;AccountName=flytemeta;' +
  `AccountKey=${ACCOUNT_KEY};EndpointSuffix=core.windows.net (token ${JWT})\n` +
  'Error: launch failed\n' +
  '    at launchExecution (/srv/flyteadmin/pkg/manager/impl/execution_manager.go:812:3)\n' +
  '    at serveGrpc (/srv/flyteadmin/pkg/server/service.go:141:9)';

/** Strings that must appear in no answer and no log line. */
const LEAKS = [
  ACCOUNT_KEY,
  'AccountKey',
  'AccountName=flytemeta',
  JWT,
  'eyJhbGciOiJSUzI1NiIs',
  'execution_manager.go',
  'service.go',
  'launchExecution',
  'launch failed',
  'internal emulator error',
];

describe.each(SURFACES)('an upstream 500 with secrets in its body, via %s', (surface) => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({
      surface,
      emulator: {
        outcome: () => {
          throw new Error(LEAKY_MESSAGE);
        },
      },
    });
  });
  afterAll(() => gw.close());

  it('is a 502 carrying the status and gRPC code only, in the answer and in the logs', async () => {
    // Act
    const res = await call(gw, 'POST', EXECUTIONS, createBody('leaky-run'));

    // Assess: the upstream really answers with the leaky body...
    const upstreamCall = gw.emulator.requests.find((r) => r.path === '/api/v1/executions');
    expect(upstreamCall?.status).toBe(500);
    const direct = await fetch(`${gw.emulator.url}/api/v1/executions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(createBody('leaky-direct')),
    });
    const directText = await direct.text();
    expect(direct.status).toBe(500);
    for (const leak of [ACCOUNT_KEY, JWT, 'execution_manager.go']) expect(directText).toContain(leak);
    // ...and the gateway's answer summarises it.
    expect(res.status).toBe(502);
    const problem = res.json();
    expect(problem).toMatchObject({
      type: '/problems/upstream-error',
      status: 502,
      detail: 'Flyte Admin answered 500.',
      upstream: { status: 500, body: { code: 13 } },
    });
    expect(Object.keys(problem.upstream.body)).toEqual(['code']);
    const logs = gw.logs.lines.join('\n');
    expect(logs).toMatch(/UpstreamError: Flyte Admin answered 500\./);
    for (const leak of LEAKS) {
      expect(res.text).not.toContain(leak);
      expect(logs).not.toContain(leak);
    }
  });
});
