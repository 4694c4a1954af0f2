/**
 * Bad input to the Azure ML operations gets a problem+json naming what is wrong (stable
 * `type`, status, field path) and reaches no upstream: after each case the emulator's request
 * journal is still empty, and nothing is left in the staging container — even when the zip
 * had already streamed into staging before the fault was found.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type Answer,
  buildZip,
  clearStaging,
  example,
  experimentPath,
  multipartBody,
  postForm,
  postJson,
  postRaw,
  projectZip,
  stagedBlobs,
  startRunForm,
} from '../helpers/azureml-requests.js';
import { captureUncaught } from '../helpers/azureml-uncaught.js';
import { type Gateway, SURFACES, startGateway, WORKSPACE } from '../helpers/gateway.js';
import { pollUntil } from '../helpers/poll.js';

/** MAX_PROJECT_ZIP_BYTES of this suite: project.zip fits, the "oversized" zip does not. */
const ZIP_CAP = 2048;
/** MAX_JSON_BODY_BYTES of this suite: the example definitions fit. */
const JSON_CAP = 4096;
const BOUNDARY = '----azureml-bad-input-7d1f';
const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;

const definition = example('run-definition.json');
const snapshotDefinition = example('snapshot-run-definition.json');
const START = `${experimentPath()}/startrun`;
const SNAPSHOT = `${experimentPath()}/snapshotrun`;
const LOCAL = `${experimentPath()}/startlocalrun`;
const definitionPart = (text = JSON.stringify(definition)) => ({
  name: 'runDefinitionFile',
  filename: 'definition.json',
  contentType: 'application/json',
  data: text,
});
const zipPart = (data: Uint8Array = projectZip()) => ({
  name: 'projectZipFile',
  filename: 'project.zip',
  contentType: 'application/zip',
  data,
});

interface Case {
  title: string;
  send: (gw: Gateway) => Promise<Answer>;
  status: number;
  type: string;
  /** A field error path the answer must name. */
  field?: string;
}

const cases: Case[] = [
  {
    title: 'startrun: multipart body cut before the closing boundary (after the zip part)',
    send: (gw) =>
      postRaw(gw, START, multipartBody(BOUNDARY, [definitionPart(), zipPart()], { close: false }), MULTIPART),
    status: 400,
    type: 'malformed-multipart',
  },
  {
    title: 'startrun: multipart body cut in the middle of the zip',
    send: (gw) => {
      const whole = multipartBody(BOUNDARY, [definitionPart(), zipPart()]);
      return postRaw(gw, START, whole.subarray(0, whole.length - 80), MULTIPART);
    },
    status: 400,
    type: 'malformed-multipart',
  },
  {
    title: 'startrun: multipart content type without a boundary',
    send: (gw) =>
      postRaw(gw, START, multipartBody(BOUNDARY, [definitionPart(), zipPart()]), 'multipart/form-data'),
    status: 400,
    type: 'malformed-multipart',
  },
  {
    title: 'startrun: projectZipFile part missing',
    send: (gw) => postForm(gw, START, startRunForm(definition, undefined)),
    status: 400,
    type: 'validation-failed',
    field: 'body.projectZipFile',
  },
  {
    title: 'startrun: runDefinitionFile part missing (the zip is staged, then removed)',
    send: (gw) => postForm(gw, START, startRunForm(definition, projectZip(), { omitDefinition: true })),
    status: 400,
    type: 'validation-failed',
    field: 'body.runDefinitionFile',
  },
  {
    title: 'startrun: projectZipFile is not a zip',
    send: (gw) => postForm(gw, START, startRunForm(definition, Buffer.from('print("not a zip")\n'))),
    status: 400,
    type: 'validation-failed',
    field: 'body.projectZipFile',
  },
  {
    title: 'startrun: projectZipFile is empty',
    send: (gw) => postForm(gw, START, startRunForm(definition, Buffer.alloc(0))),
    status: 400,
    type: 'validation-failed',
    field: 'body.projectZipFile',
  },
  {
    title: `startrun: zip over MAX_PROJECT_ZIP_BYTES (${ZIP_CAP})`,
    send: (gw) =>
      postForm(
        gw,
        START,
        startRunForm(definition, buildZip([{ name: 'weights.bin', data: randomBytes(4 * ZIP_CAP) }])),
      ),
    status: 413,
    type: 'payload-too-large',
  },
  {
    title: 'startrun: invalid RunDefinition (nodeCount "two")',
    send: (gw) =>
      postForm(
        gw,
        START,
        startRunForm(
          { ...definition, configuration: { ...definition.configuration, nodeCount: 'two' } },
          projectZip(),
        ),
      ),
    status: 400,
    type: 'validation-failed',
    field: 'body.runDefinitionFile.configuration.nodeCount',
  },
  {
    title: 'startrun: RunDefinition that is not an object',
    send: (gw) => postForm(gw, START, startRunForm(['train.py'], projectZip())),
    status: 400,
    type: 'validation-failed',
    field: 'body.runDefinitionFile',
  },
  {
    title: 'startrun: malformed JSON in runDefinitionFile',
    send: (gw) =>
      postForm(gw, START, startRunForm(undefined, projectZip(), { definitionText: '{"configuration": {' })),
    status: 400,
    type: 'malformed-json',
  },
  {
    title: `startrun: runDefinitionFile over MAX_JSON_BODY_BYTES (${JSON_CAP})`,
    send: (gw) =>
      postForm(
        gw,
        START,
        startRunForm({ ...definition, description: 'x'.repeat(2 * JSON_CAP) }, projectZip()),
      ),
    status: 413,
    type: 'payload-too-large',
  },
  {
    title: 'startrun: an unexpected third part',
    send: (gw) =>
      postRaw(
        gw,
        START,
        multipartBody(BOUNDARY, [definitionPart(), zipPart(), { name: 'notes', data: 'hello' }]),
        MULTIPART,
      ),
    status: 400,
    type: 'validation-failed',
    field: 'body.notes',
  },
  {
    title: 'startrun: projectZipFile given twice (definition as a form field)',
    send: (gw) =>
      postRaw(
        gw,
        START,
        multipartBody(BOUNDARY, [
          { name: 'runDefinitionFile', data: JSON.stringify(definition) },
          zipPart(),
          zipPart(),
        ]),
        MULTIPART,
      ),
    status: 400,
    type: 'validation-failed',
    field: 'body.projectZipFile',
  },
  {
    title: 'startrun: projectZipFile given twice (definition as a file part, as FormData sends it)',
    send: (gw) =>
      postRaw(
        gw,
        START,
        multipartBody(BOUNDARY, [definitionPart(), zipPart(), zipPart(Buffer.from('PK\x05\x06', 'latin1'))]),
        MULTIPART,
      ),
    status: 400,
    type: 'validation-failed',
    field: 'body.projectZipFile',
  },
  {
    title: 'startrun: an unexpected third file part',
    send: (gw) =>
      postRaw(
        gw,
        START,
        multipartBody(BOUNDARY, [
          definitionPart(),
          zipPart(),
          { name: 'notes', filename: 'notes.txt', contentType: 'text/plain', data: 'hello' },
        ]),
        MULTIPART,
      ),
    status: 400,
    type: 'validation-failed',
    field: 'body.notes',
  },
  {
    title: 'startrun: more file parts than the form has',
    send: (gw) =>
      postRaw(
        gw,
        START,
        multipartBody(BOUNDARY, [definitionPart(), zipPart(), zipPart(), zipPart(), zipPart()]),
        MULTIPART,
      ),
    status: 400,
    type: 'validation-failed',
    field: 'body.projectZipFile',
  },
  {
    title: 'startrun: subscription id that is not a UUID',
    send: (gw) =>
      postForm(
        gw,
        `${experimentPath({ subscription: 'not-a-uuid' })}/startrun`,
        startRunForm(definition, projectZip()),
      ),
    status: 400,
    type: 'validation-failed',
    field: 'params.subscriptionid',
  },
  {
    title: 'startrun: traversal attempt in experimentname (..%2F..%2Fx)',
    send: (gw) =>
      postForm(
        gw,
        `${experimentPath({ experiment: '..%2F..%2Fx' })}/startrun`,
        startRunForm(definition, projectZip()),
      ),
    status: 400,
    type: 'validation-failed',
    field: 'params.experimentname',
  },
  {
    title: 'startrun: runId query with a slash',
    send: (gw) => postForm(gw, `${START}?runId=..%2Fother`, startRunForm(definition, projectZip())),
    status: 400,
    type: 'validation-failed',
    field: 'query.runId',
  },
  {
    title: 'startrun: runId query starting with a dash',
    send: (gw) => postForm(gw, `${START}?runId=-run`, startRunForm(definition, projectZip())),
    status: 400,
    type: 'validation-failed',
    field: 'query.runId',
  },
  {
    title: 'startrun: workspace off the allow-list',
    send: (gw) =>
      postForm(
        gw,
        `${experimentPath({ workspace: 'ws-other' })}/startrun`,
        startRunForm(definition, projectZip()),
      ),
    status: 403,
    type: 'forbidden',
  },
  {
    title: 'startrun: wrong content type (text/plain)',
    send: (gw) => postRaw(gw, START, 'train.py', 'text/plain'),
    status: 415,
    type: 'unsupported-media-type',
  },
  {
    title: 'startrun: JSON form without stagedZipId',
    send: (gw) => postJson(gw, START, { runDefinition: definition }),
    status: 400,
    type: 'validation-failed',
    field: 'body.stagedZipId',
  },
  {
    title: 'snapshotrun: no snapshotId',
    send: (gw) => postJson(gw, SNAPSHOT, { configuration: snapshotDefinition.configuration }),
    status: 400,
    type: 'validation-failed',
    field: 'body.snapshotId',
  },
  {
    title: 'snapshotrun: snapshotId that is not a UUID',
    send: (gw) => postJson(gw, SNAPSHOT, { ...snapshotDefinition, snapshotId: 'latest' }),
    status: 400,
    type: 'validation-failed',
    field: 'body.snapshotId',
  },
  {
    title: `snapshotrun: body over MAX_JSON_BODY_BYTES (${JSON_CAP})`,
    send: (gw) => postJson(gw, SNAPSHOT, { ...snapshotDefinition, description: 'x'.repeat(2 * JSON_CAP) }),
    status: 413,
    type: 'payload-too-large',
  },
  {
    title: 'snapshotrun: malformed JSON',
    send: (gw) => postRaw(gw, SNAPSHOT, '{"snapshotId": ', 'application/json'),
    status: 400,
    type: 'malformed-json',
  },
  {
    title: 'snapshotrun: wrong content type',
    send: (gw) => postRaw(gw, SNAPSHOT, 'snapshotId=x', 'application/x-www-form-urlencoded'),
    status: 415,
    type: 'unsupported-media-type',
  },
  {
    title: 'snapshotrun: workspace off the allow-list (other subscription)',
    send: (gw) =>
      postJson(
        gw,
        `${experimentPath({ subscription: '11111111-1111-1111-1111-111111111111' })}/snapshotrun`,
        snapshotDefinition,
      ),
    status: 403,
    type: 'forbidden',
  },
  {
    title: 'startlocalrun: unknown framework',
    send: (gw) => postJson(gw, LOCAL, { configuration: { ...definition.configuration, framework: 'Java' } }),
    status: 400,
    type: 'validation-failed',
    field: 'body.configuration.framework',
  },
  {
    title: 'startlocalrun: resource group ending with a period',
    send: (gw) =>
      postJson(
        gw,
        `${experimentPath({ resourceGroup: 'rg-ml.' })}/startlocalrun`,
        example('local-run-definition.json'),
      ),
    status: 400,
    type: 'validation-failed',
    field: 'params.resourcegroupname',
  },
  {
    title: 'cancel: run id with an encoded slash',
    send: (gw) => postJson(gw, `${experimentPath()}/runid/a%2F..%2Fb/cancel`),
    status: 400,
    type: 'validation-failed',
    field: 'params.runid',
  },
  {
    title: 'cancel: workspace off the allow-list',
    send: (gw) => postJson(gw, `${experimentPath({ workspace: 'ws-other' })}/runid/run-1/cancel`),
    status: 403,
    type: 'forbidden',
  },
];

describe.each(SURFACES)('Azure ML bad input via %s', (surface) => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({
      surface,
      azureml: true,
      env: { MAX_PROJECT_ZIP_BYTES: String(ZIP_CAP), MAX_JSON_BODY_BYTES: String(JSON_CAP) },
    });
    // Warm the gateway's staging (its container client is made on the first upload): a body
    // that breaks off while that is under way is its own case, in the cold-instance suite below.
    const warm = await postForm(gw, START, startRunForm(definition, projectZip(), { omitDefinition: true }));
    expect(warm.status).toBe(400);
  });
  afterAll(() => gw.close());
  beforeEach(async () => {
    gw.azureml?.reset();
    await clearStaging(gw);
  });

  it.each(cases)('$title → $status $type', async ({ send, status, type, field }) => {
    // Act
    const res = await send(gw);
    // Assess: the problem
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const problem = res.json();
    expect(problem).toMatchObject({ type: `/problems/${type}`, status });
    expect(problem.detail).toEqual(expect.any(String));
    expect(problem.correlationId).toBe(res.headers.get('x-request-id'));
    if (field) expect(problem.errors.map((e: { path: string }) => e.path)).toContain(field);
    expect(problem.stagedZipId).toBeUndefined();
    expect(res.text).not.toMatch(/\bat .+\.(ts|js):\d+/); // no stack trace
    // Assess: nothing reached the upstream, nothing is left behind
    expect(gw.azureml?.requests).toEqual([]);
    expect(await stagedBlobs(gw)).toEqual([]);
  });

  it('a refused workspace names the workspace and the setting, not the allowed ones', async () => {
    // Act
    const res = await postJson(
      gw,
      `${experimentPath({ workspace: 'ws-other' })}/snapshotrun`,
      snapshotDefinition,
    );
    // Assess
    expect(res.status).toBe(403);
    expect(res.json().detail).toBe(
      `Workspace ${WORKSPACE.subscription}/${WORKSPACE.resourceGroup}/ws-other is not on this gateway's allow-list (AZUREML_WORKSPACES).`,
    );
    expect(gw.azureml?.requests).toEqual([]);
  });

  it('params, query and definition errors of startrun are reported with their own prefixes', async () => {
    // Act
    const res = await postForm(
      gw,
      `${experimentPath({ subscription: 'nope', experiment: '-exp' })}/startrun?runId=a%20b`,
      startRunForm(definition, projectZip()),
    );
    // Assess
    expect(res.status).toBe(400);
    expect(
      res
        .json()
        .errors.map((e: { path: string }) => e.path)
        .sort(),
    ).toEqual(['params.experimentname', 'params.subscriptionid', 'query.runId']);
    expect(gw.azureml?.requests).toEqual([]);
    expect(await stagedBlobs(gw)).toEqual([]);
  });
});

describe.each(SURFACES)('Azure ML bad input on a cold instance via %s', (surface) => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({ surface, azureml: true });
  });
  afterAll(() => gw.close());

  // The first upload of an instance: staging still has to make its container client (a
  // round trip to storage) when the body breaks off. The part must still reach staging's
  // error handling: a 400, no hang, no uncaught 'error' event (which would end the process).
  it('a truncated multipart body as the first upload → 400 malformed-multipart, no hang, no uncaught error', async () => {
    // Prepare
    const body = multipartBody(BOUNDARY, [definitionPart(), zipPart()], { close: false });
    const uncaught = captureUncaught();
    // Act
    let res: Answer | Error;
    try {
      res = await postRaw(gw, START, body, MULTIPART, { signal: AbortSignal.timeout(5_000) }).catch(
        (error: Error) => error,
      );
    } finally {
      uncaught.restore();
    }
    // Assess
    expect(uncaught.errors).toEqual([]);
    expect(res).not.toBeInstanceOf(Error);
    expect((res as Answer).status).toBe(400);
    expect((res as Answer).json().type).toBe('/problems/malformed-multipart');
    expect(gw.azureml?.requests).toEqual([]);
    expect(await stagedBlobs(gw)).toEqual([]);
  });
});

describe.each(SURFACES)('Azure ML bad input: a zip part after the failure via %s', (surface) => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({ surface, azureml: true });
  });
  afterAll(() => gw.close());

  // A part that starts after the request has already failed is not staged: nobody would wait
  // for that upload or delete it.
  it('a repeated runDefinitionFile before the zip → 400, and no zip is left in staging', async () => {
    // Prepare
    const body = multipartBody(BOUNDARY, [
      { name: 'runDefinitionFile', data: JSON.stringify(definition) },
      { name: 'runDefinitionFile', data: '{}' },
      zipPart(),
    ]);
    // Act
    const res = await postRaw(gw, START, body, MULTIPART);
    // Assess: the answer is right…
    expect(res.status).toBe(400);
    expect(res.json().errors).toEqual([
      { path: 'body.runDefinitionFile', message: 'is not an expected part (or appears twice)' },
    ]);
    expect(gw.azureml?.requests).toEqual([]);
    // …but the zip that came after the failure must not end up in staging. Watch for it for
    // a while (deadline, not a fixed sleep: a leftover shows up within milliseconds).
    const leftovers = await pollUntil(
      () => stagedBlobs(gw),
      (blobs) => blobs.length > 0,
      { timeoutMs: 1_500 },
    ).catch(() => []);
    expect(leftovers).toEqual([]);
  });
});
