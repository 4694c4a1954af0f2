/**
 * A batch with anything wrong in it is refused whole, naming each bad target by index, and
 * nothing is recorded, queued or sent upstream; the report route refuses bad ids and queries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azuremlTarget, flyteTarget, producerQueue, queued } from '../helpers/cancellations.js';
import { call, type Gateway, SURFACES, startGateway } from '../helpers/gateway.js';

describe.each(SURFACES)('batch cancellation input (%s)', (surface) => {
  let gateway: Gateway;

  beforeAll(async () => {
    gateway = await startGateway({
      surface,
      azureml: true,
      env: { MAX_BATCH_TARGETS: '5', FLYTE_PROJECTS: 'flytesnacks' },
    });
  }, 60_000);
  afterAll(() => gateway.close());

  /** Nothing reached either upstream and nothing was queued. */
  async function assertNothingHappened() {
    expect(gateway.emulator.requests).toStrictEqual([]);
    expect(gateway.azureml?.requests).toStrictEqual([]);
    expect(await queued(producerQueue(gateway))).toStrictEqual([]);
  }

  it.each([
    {
      name: 'a target with a bad run id and one with an unknown kind',
      body: { targets: [flyteTarget('ok-1'), azuremlTarget('bad id!'), { kind: 'slurm', job: 1 }] },
      paths: ['body.targets[1].runId', 'body.targets[2].kind'],
    },
    {
      name: 'a Flyte target with an upper-case name and an unknown field',
      body: { targets: [{ ...flyteTarget('Upper'), org: 'x' }] },
      paths: ['body.targets[0].name', 'body.targets[0].org'],
    },
    { name: 'no targets', body: { targets: [] }, paths: ['body.targets'] },
    {
      name: 'more targets than MAX_BATCH_TARGETS',
      body: { targets: Array.from({ length: 6 }, (_, i) => flyteTarget(`n-${i}`)) },
      paths: ['body.targets'],
    },
    {
      name: 'a cause that is not text',
      body: { cause: 7, targets: [flyteTarget('a')] },
      paths: ['body.cause'],
    },
    { name: 'no body at all', body: undefined, paths: ['body.targets'] },
  ])('answers 400 for $name, naming $paths', async ({ body, paths }) => {
    // Act
    const res = await call(gateway, 'POST', '/v1/cancellations', body);

    // Assess
    expect(res.status, res.text).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const problem = res.json();
    expect(problem.type).toBe('/problems/validation-failed');
    expect(problem.errors.map((e: { path: string }) => e.path)).toStrictEqual(paths);
    await assertNothingHappened();
  });

  it('answers 403 naming every target off the allow-lists by index, and queues nothing', async () => {
    // Act
    const res = await call(gateway, 'POST', '/v1/cancellations', {
      targets: [
        flyteTarget('fine'),
        { ...flyteTarget('elsewhere'), project: 'secret-project' },
        { ...azuremlTarget('exp_1'), workspaceName: 'other-ws' },
      ],
    });

    // Assess
    expect(res.status, res.text).toBe(403);
    const problem = res.json();
    expect(problem).toMatchObject({
      type: '/problems/forbidden',
      detail: "2 of 3 targets are not on this gateway's allow-lists; nothing was queued.",
    });
    expect(problem.errors).toStrictEqual([
      {
        path: 'body.targets[1]',
        message: `Flyte project "secret-project" is not on this gateway's allow-list (FLYTE_PROJECTS).`,
      },
      {
        path: 'body.targets[2]',
        message: expect.stringMatching(/^Workspace .*\/rg-ml\/other-ws is not on this gateway's allow-list/),
      },
    ]);
    await assertNothingHappened();
  });

  it('answers 400 for malformed JSON and 415 for another media type', async () => {
    // Act
    const malformed = await call(gateway, 'POST', '/v1/cancellations', '{"targets": [', {});
    const text = await call(gateway, 'POST', '/v1/cancellations', 'targets=all', {
      'content-type': 'text/plain',
    });

    // Assess
    expect(malformed.status).toBe(400);
    expect(malformed.json().type).toBe('/problems/malformed-json');
    expect(text.status).toBe(415);
    await assertNothingHappened();
  });

  it.each([
    { query: '/no%20such', status: 400, path: 'params.batchId' },
    { query: '/b-1?outcome=lost', status: 400, path: 'query.outcome' },
    { query: '/b-1?limit=0', status: 400, path: 'query.limit' },
    { query: '/b-1?token=abc', status: 400, path: 'query.token' },
    { query: '/b-1?colour=red', status: 400, path: 'query.colour' },
  ])('answers $status for GET /v1/cancellations$query', async ({ query, status, path }) => {
    // Act
    const res = await call(gateway, 'GET', `/v1/cancellations${query}`);

    // Assess
    expect(res.status, res.text).toBe(status);
    expect(res.json().errors.map((e: { path: string }) => e.path)).toStrictEqual([path]);
  });

  it('answers 404 for a batch nobody has used', async () => {
    // Act
    const res = await call(gateway, 'GET', '/v1/cancellations/never-seen');

    // Assess
    expect(res.status).toBe(404);
    expect(res.json()).toMatchObject({
      type: '/problems/not-found',
      detail: 'There is no cancellation batch never-seen.',
    });
  });
});
