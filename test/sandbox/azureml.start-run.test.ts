import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AzureMlEmulator, startAzureMlEmulator } from '../../sandbox/azureml/index.js';
import {
  call,
  definition,
  EXP,
  experimentPath,
  manualClock,
  projectZip,
  rawMultipart,
  startRunForm,
  WS,
} from './helpers/azureml-client.js';

const START = `${experimentPath()}/startrun`;
const clock = manualClock(Date.UTC(2026, 0, 15, 2, 0, 0, 51));
let aml: AzureMlEmulator;

beforeAll(async () => {
  aml = await startAzureMlEmulator({ now: clock.now, maxZipBytes: 4096 });
});
afterAll(() => aml.close());
beforeEach(() => aml.reset());

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const DISPOSITION = (name: string, filename?: string) =>
  `Content-Disposition: form-data; name="${name}"${filename === undefined ? '' : `; filename="${filename}"`}`;

describe('startrun (multipart)', () => {
  it('starts a run from FormData and stores the zip size, SHA-256 and definition as received', async () => {
    // Prepare
    const zip = projectZip({ 'train.py': 'print(42)\n', 'lib/util.py': 'X = 1\n' });
    const def = definition({ SnapshotId: null, RunType: 'experiment' });
    // Act
    const res = await call(aml.url, 'POST', `${START}?runId=exp-a_1700000000_1a2b3c4d`, {
      body: startRunForm(def, zip),
    });
    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.json).toEqual({ runId: 'exp-a_1700000000_1a2b3c4d' });
    const run = aml.runs.getRun(WS, EXP, 'exp-a_1700000000_1a2b3c4d');
    expect(run?.zip).toEqual({ bytes: zip.length, sha256: sha256(zip), filename: 'project.zip' });
    expect(run?.definitionFilename).toBe('definition.json');
    expect(run?.definition).toEqual(def);
    expect(run).toMatchObject({
      operation: 'startrun',
      target: 'cpu-cluster',
      script: 'train.py',
      status: 'NotStarted',
    });
  });

  it('accepts parts without content types, a preamble, PascalCase keys and unknown parts', async () => {
    const zip = projectZip();
    const body = rawMultipart(
      'XyZ',
      [
        {
          headers: [DISPOSITION('runDefinitionFile', 'definition.json')],
          data: '{"CONFIGURATION":{"Target":"gpu"}}',
        },
        { headers: [DISPOSITION('projectZipFile', 'project.zip'), 'Content-Type: text/text'], data: zip },
        { headers: [DISPOSITION('comment')], data: 'ignored' },
      ],
      { preamble: 'This is the preamble.' },
    );
    const res = await call(aml.url, 'POST', `${START}?runId=raw_1`, {
      body,
      contentType: 'multipart/form-data; boundary="XyZ"',
    });
    expect(res.status).toBe(200);
    expect(aml.runs.getRun(WS, EXP, 'raw_1')).toMatchObject({ target: 'gpu', zip: { bytes: zip.length } });
  });

  it('accepts a body that opens with CRLF before its first delimiter (an empty preamble line)', async () => {
    const zip = projectZip();
    const parts = [
      { headers: [DISPOSITION('runDefinitionFile', 'definition.json')], data: '{"Configuration":{}}' },
      { headers: [DISPOSITION('projectZipFile', 'project.zip')], data: zip },
    ];
    const body = Buffer.concat([Buffer.from('\r\n'), rawMultipart('XyZ', parts)]);
    expect(body.subarray(0, 7).toString()).toBe('\r\n--XyZ');
    const res = await call(aml.url, 'POST', `${START}?runId=crlf_1`, {
      body,
      contentType: 'multipart/form-data; boundary=XyZ',
    });
    expect(res.status).toBe(200);
    expect(aml.runs.getRun(WS, EXP, 'crlf_1')?.zip).toEqual({
      bytes: zip.length,
      sha256: sha256(zip),
      filename: 'project.zip',
    });
  });

  it('generates {experiment}_{epochMillis} ids, with _1, _2 for runs in the same millisecond', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++)
      ids.push((await call(aml.url, 'POST', START, { body: startRunForm() })).json.runId);
    clock.advance(1);
    ids.push((await call(aml.url, 'POST', START, { body: startRunForm() })).json.runId);
    const ms = Date.UTC(2026, 0, 15, 2, 0, 0, 51);
    expect(ids).toEqual([`exp-a_${ms}`, `exp-a_${ms}_1`, `exp-a_${ms}_2`, `exp-a_${ms + 1}`]);
  });

  it('answers 409 UserError/RunIdAlreadyExists for a run id used in the same experiment', async () => {
    const first = await call(aml.url, 'POST', `${START}?runId=dup_1`, { body: startRunForm() });
    const again = await call(aml.url, 'POST', `${START}?runId=dup_1`, { body: startRunForm() });
    const otherExperiment = await call(
      aml.url,
      'POST',
      `${experimentPath({ exp: 'exp-b' })}/startrun?runId=dup_1`,
      {
        body: startRunForm(),
      },
    );
    // Workspace names compare case-insensitively, as ARM names do.
    const otherCase = await call(
      aml.url,
      'POST',
      `${experimentPath({ ws: WS.toUpperCase() })}/startrun?runId=dup_1`,
      {
        body: startRunForm(),
      },
    );
    expect(first.status).toBe(200);
    expect(again.status).toBe(409);
    expect(again.json.error).toMatchObject({
      code: 'UserError',
      target: 'runId',
      innerError: { code: 'RunIdAlreadyExists', innerError: null },
    });
    expect(otherExperiment.status).toBe(200);
    expect(otherCase.status).toBe(409);
    expect(aml.runs.listRuns().map((r) => `${r.experimentName}/${r.runId}`)).toEqual([
      'exp-a/dup_1',
      'exp-b/dup_1',
    ]);
  });

  const zip = projectZip();
  const defPart = { headers: [DISPOSITION('runDefinitionFile', 'definition.json')], data: '{}' };
  const zipPart = { headers: [DISPOSITION('projectZipFile', 'project.zip')], data: zip };
  it.each([
    [
      'the definition part is missing',
      rawMultipart('b', [zipPart]),
      'runDefinitionFile',
      /'runDefinitionFile' is required/,
    ],
    [
      'the zip part is missing',
      rawMultipart('b', [defPart]),
      'projectZipFile',
      /'projectZipFile' is required/,
    ],
    [
      'a part is repeated',
      rawMultipart('b', [defPart, zipPart, zipPart]),
      'projectZipFile',
      /more than once/,
    ],
    [
      'the definition is a field, not a file',
      rawMultipart('b', [{ headers: [DISPOSITION('runDefinitionFile')], data: '{}' }, zipPart]),
      'runDefinitionFile',
      /must be a file/,
    ],
    [
      'the definition is not JSON',
      rawMultipart('b', [{ ...defPart, data: '{"configuration":' }, zipPart]),
      'runDefinitionFile',
      /not valid JSON/,
    ],
    [
      'the definition is a JSON array',
      rawMultipart('b', [{ ...defPart, data: '[]' }, zipPart]),
      'runDefinitionFile',
      /must be a JSON object/,
    ],
    [
      'the zip is not a zip',
      rawMultipart('b', [defPart, { ...zipPart, data: 'not a zip at all' }]),
      'projectZipFile',
      /not a zip archive/,
    ],
    [
      'the zip is empty',
      rawMultipart('b', [defPart, { ...zipPart, data: '' }]),
      'projectZipFile',
      /not a zip/,
    ],
    [
      'the closing boundary is missing',
      rawMultipart('b', [defPart, zipPart], { close: false }),
      null,
      /truncated/,
    ],
    [
      'a part has no Content-Disposition',
      rawMultipart('b', [{ headers: [], data: 'x' }]),
      null,
      /Content-Disposition/,
    ],
    [
      'a boundary line lacks its CRLF',
      Buffer.from('--b junk\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--b--'),
      null,
      /not followed by CRLF/,
    ],
    ['the boundary never appears', Buffer.from('hello'), null, /does not contain its boundary/],
  ])('answers 400 UserError/ValidationError when %s', async (_case, body, target, message) => {
    const res = await call(aml.url, 'POST', `${START}?runId=bad_1`, {
      body,
      contentType: 'multipart/form-data; boundary=b',
    });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({
      code: 'UserError',
      target,
      innerError: { code: 'ValidationError' },
    });
    expect(res.json.error.message).toMatch(message);
    expect(aml.runs.listRuns()).toEqual([]);
  });

  it.each([
    ['a runId that breaks the pattern', `${START}?runId=_leading-underscore`, 'runId'],
    ['a runId longer than 256 characters', `${START}?runId=a${'b'.repeat(256)}`, 'runId'],
    ['an empty runId', `${START}?runId=`, 'runId'],
    ['two runId parameters', `${START}?runId=a1&runid=a2`, 'runId'],
    [
      'a subscription that is not a GUID',
      `${experimentPath({ sub: 'not-a-guid' })}/startrun`,
      'subscriptionId',
    ],
  ])('answers 400 for %s', async (_case, path, target) => {
    const res = await call(aml.url, 'POST', path, { body: startRunForm() });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({
      code: 'UserError',
      target,
      innerError: { code: 'ValidationError' },
    });
  });

  it('accepts a 256-character runId (the pattern maximum)', async () => {
    const runId = `a${'b'.repeat(255)}`;
    const res = await call(aml.url, 'POST', `${START}?runId=${runId}`, { body: startRunForm() });
    expect(res.status).toBe(200);
    expect(res.json.runId).toHaveLength(256);
  });

  it('answers 413 for a zip over maxZipBytes, both just over and far over the cap', async () => {
    const justOver = Buffer.concat([projectZip(), Buffer.alloc(4096)]);
    const farOver = Buffer.concat([projectZip(), Buffer.alloc(2 * 1024 * 1024)]);
    const atCap = Buffer.concat([projectZip(), Buffer.alloc(4096 - projectZip().length)]);
    const small = await call(aml.url, 'POST', `${START}?runId=cap_1`, {
      body: startRunForm(definition(), justOver),
    });
    const big = await call(aml.url, 'POST', `${START}?runId=cap_2`, {
      body: startRunForm(definition(), farOver),
    });
    const exact = await call(aml.url, 'POST', `${START}?runId=cap_3`, {
      body: startRunForm(definition(), atCap),
    });
    for (const res of [small, big]) {
      expect(res.status).toBe(413);
      expect(res.json.error).toMatchObject({
        code: 'UserError',
        message: 'projectZipFile exceeds the limit of 4096 bytes.',
        target: 'projectZipFile',
        innerError: { code: 'PayloadTooLarge' },
      });
    }
    expect(exact.status).toBe(200);
    expect(aml.runs.listRuns().map((r) => r.zip?.bytes)).toEqual([4096]);
  });

  it('answers 415 for a body that is not multipart/form-data', async () => {
    const res = await call(aml.url, 'POST', START, { json: definition() });
    expect(res.status).toBe(415);
    expect(res.json.error.innerError.code).toBe('UnsupportedMediaType');
  });
});
