import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AzureMlEmulator, startAzureMlEmulator } from '../../sandbox/azureml/index.js';
import { call, EXP, experimentPath, manualClock, readZip, SNAPSHOT, WS } from './helpers/azureml-client.js';

const SNAPSHOT_RUN = `${experimentPath()}/snapshotrun`;
const LOCAL_RUN = `${experimentPath()}/startlocalrun`;
const clock = manualClock(Date.UTC(2026, 0, 15, 2, 0, 0, 51));
let aml: AzureMlEmulator;

beforeAll(async () => {
  aml = await startAzureMlEmulator({ now: clock.now });
});
afterAll(() => aml.close());
beforeEach(() => aml.reset());

/** The swagger example's definition (`examples/startSnapshotRun.json`), trimmed. */
const swaggerDefinition = {
  snapshotId: SNAPSHOT,
  configuration: {
    script: 'findsquare.py',
    arguments: ['234'],
    target: 'batchai',
    nodeCount: 1,
    history: {},
  },
};

function hasUnzip(): boolean {
  try {
    execFileSync('unzip', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('snapshotrun (JSON)', () => {
  it('starts a run from the swagger example definition', async () => {
    const res = await call(aml.url, 'POST', `${SNAPSHOT_RUN}?runId=demorun_15501234342_0`, {
      json: swaggerDefinition,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.json).toEqual({ runId: 'demorun_15501234342_0' });
    expect(aml.runs.getRun(WS, EXP, 'demorun_15501234342_0')).toMatchObject({
      operation: 'snapshotrun',
      snapshotId: SNAPSHOT,
      target: 'batchai',
      script: 'findsquare.py',
      definition: swaggerDefinition,
    });
  });

  it('binds keys case-insensitively and ignores unknown keys, like the v1 SDK body', async () => {
    const sdkBody = {
      TargetDetails: null,
      Configuration: { Script: 'train.py', target: 'cpu' },
      TelemetryValues: { amlClientType: 'azureml-sdk-core' },
      SnapshotId: SNAPSHOT.toUpperCase(),
      ParentRunId: 'parent_1',
      runtype: 'azureml.scriptrun',
    };
    const res = await call(aml.url, 'POST', SNAPSHOT_RUN, { json: sdkBody });
    expect(res.status).toBe(200);
    expect(res.json.runId).toBe(`exp-a_${Date.UTC(2026, 0, 15, 2, 0, 0, 51)}`);
    expect(aml.runs.listRuns()[0]).toMatchObject({
      snapshotId: SNAPSHOT.toUpperCase(),
      parentRunId: 'parent_1',
      runType: 'azureml.scriptrun',
      script: 'train.py',
      target: 'cpu',
    });
  });

  it.each([
    [
      'no snapshotId',
      { configuration: {} },
      'snapshotId',
      'snapshotId is required to start a run from a snapshot.',
    ],
    [
      'a snapshotId that is not a GUID',
      { snapshotId: 'abc' },
      'snapshotId',
      "The snapshotId 'abc' is not a valid GUID.",
    ],
    ['a snapshotId that is not a string', { SNAPSHOTID: 7 }, 'snapshotId', "'snapshotId' must be a string."],
    [
      'a configuration that is not an object',
      { snapshotId: SNAPSHOT, configuration: [] },
      'configuration',
      "'configuration' must be an object.",
    ],
  ])('answers 400 for %s', async (_case, body, target, message) => {
    const res = await call(aml.url, 'POST', SNAPSHOT_RUN, { json: body });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({
      code: 'UserError',
      message,
      target,
      innerError: { code: 'ValidationError' },
    });
  });

  it.each([
    ['invalid JSON', '{"snapshotId":', /definition is not valid JSON/],
    ['an empty body', '', /A non-empty request body is required/],
    ['a JSON string', '"x"', /must be a JSON object/],
  ])('answers 400 for %s', async (_case, body, message) => {
    const res = await call(aml.url, 'POST', SNAPSHOT_RUN, { body, contentType: 'application/json' });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toMatch(message);
    expect(res.json.error.target).toBe('definition');
  });

  it('answers 415 when the body is not declared as JSON', async () => {
    const res = await call(aml.url, 'POST', SNAPSHOT_RUN, { body: JSON.stringify(swaggerDefinition) });
    expect(res.status).toBe(415);
    expect(res.json.error.message).toBe(
      "Content-Type 'text/plain;charset=UTF-8' is not supported; send application/json.",
    );
  });

  it('answers 409 for a duplicate run id', async () => {
    await call(aml.url, 'POST', `${SNAPSHOT_RUN}?runId=same`, { json: swaggerDefinition });
    const res = await call(aml.url, 'POST', `${SNAPSHOT_RUN}?runId=same`, { json: swaggerDefinition });
    expect(res.status).toBe(409);
    expect(res.json.error.innerError.code).toBe('RunIdAlreadyExists');
  });
});

describe('startlocalrun (JSON in, zip out)', () => {
  it('answers a valid zip with azureml-setup/Invocation.sh and .bat and records the run', async () => {
    // Act
    const res = await call(aml.url, 'POST', `${LOCAL_RUN}?runId=local_1`, {
      json: { configuration: { script: 'train.py; rm -rf /', target: 'local' } },
    });
    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-length')).toBe(String(res.bytes.length));
    expect(res.bytes.subarray(0, 4)).toEqual(Buffer.from('PK\x03\x04', 'latin1'));
    const entries = readZip(res.bytes);
    expect(entries.map((e) => [e.name, e.method, e.crcOk])).toEqual([
      ['azureml-setup/Invocation.sh', 8, true],
      ['azureml-setup/Invocation.bat', 8, true],
    ]);
    expect(entries[0]?.unixMode).toBe(0o755);
    expect(entries[0]?.data.toString()).toContain(
      'echo "Would start run local_1 of experiment exp-a (script train.py__rm_-rf_/)"',
    );
    expect(entries[1]?.data.toString()).toContain('echo Would start run local_1 of experiment exp-a');
    expect(aml.runs.getRun(WS, EXP, 'local_1')).toMatchObject({
      operation: 'startlocalrun',
      target: 'local',
    });
  });

  it.runIf(hasUnzip())('produces an archive that unzip -t accepts', async () => {
    const res = await call(aml.url, 'POST', LOCAL_RUN, { json: {} });
    const dir = mkdtempSync(join(tmpdir(), 'aml-zip-'));
    try {
      const file = join(dir, 'invocation.zip');
      writeFileSync(file, res.bytes);
      const output = execFileSync('unzip', ['-t', file], { encoding: 'utf8' });
      expect(output).toContain('No errors detected');
      expect(output).toContain('azureml-setup/Invocation.sh');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers errors as JSON, not as a zip', async () => {
    const res = await call(aml.url, 'POST', `${LOCAL_RUN}?runId=-bad`, { json: {} });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.json.error.target).toBe('runId');
  });
});
