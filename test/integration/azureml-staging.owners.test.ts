/**
 * A staged zip belongs to whoever staged it, on both surfaces, against Azurite and the Azure
 * ML emulator: another caller (another function key here; another Entra ID caller in
 * auth-entra.test.ts) who learns its `stagedZipId` finds nothing, and what an upload slot's
 * holder can do to their own blob besides writing it (snapshot, lease, archive, copy in) is
 * caught when the zip is used or survived when it is cleaned up.
 */
import { BlobServiceClient, BlockBlobClient } from '@azure/storage-blob';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  clearStaging,
  EXPERIMENT,
  example,
  experimentPath,
  postForm,
  postJson,
  projectZip,
  sha256,
  stagedBlobs,
  startRunForm,
  upstreamExperimentPath,
} from '../helpers/azureml-requests.js';
import { call, type Gateway, SURFACES, startGateway, WORKSPACE } from '../helpers/gateway.js';

const START = `${experimentPath()}/startrun`;
const UPSTREAM_START = `${upstreamExperimentPath()}/startrun`;
const definition = example('run-definition.json');
const ALICE = { 'x-functions-key': 'alice-key' };
const MALLORY = { 'x-functions-key': 'mallory-key' };
const NOT_YOURS = {
  path: 'body.stagedZipId',
  message: 'no staged zip of yours has this id (expired, used, or never uploaded)',
};

describe.each(SURFACES)('staged zips are owned, via %s', (surface) => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({ surface, azureml: true });
  });
  afterAll(() => gw.close());
  beforeEach(async () => {
    gw.azureml?.reset();
    await clearStaging(gw);
  });

  const aml = () => {
    if (!gw.azureml) throw new Error('no Azure ML emulator');
    return gw.azureml;
  };
  const slotOf = async (headers: Record<string, string>) => {
    const res = await call(gw, 'POST', '/v1/uploads', undefined, headers);
    expect(res.status, res.text).toBe(201);
    return res.json() as { uploadId: string; uploadUrl: string };
  };
  const startWith = (stagedZipId: string, headers: Record<string, string>, runId: string) =>
    postJson(gw, `${START}?runId=${runId}`, { runDefinition: definition, stagedZipId }, headers);

  it("another key's upload-slot id is refused as unknown; the owner's key, in ?code=, starts the run", async () => {
    // Prepare: Alice fills her slot
    const zip = projectZip();
    const slot = await slotOf(ALICE);
    await new BlockBlobClient(slot.uploadUrl).uploadData(zip);
    // Act
    const stolen = await startWith(slot.uploadId, MALLORY, 'stolen');
    const anonymous = await startWith(slot.uploadId, {}, 'anonymous');
    const own = await postJson(gw, `${START}?runId=own&code=alice-key`, {
      runDefinition: definition,
      stagedZipId: slot.uploadId,
    });
    // Assess: the same answer as an id that never existed; only Alice's run reached Azure ML
    expect([stolen.status, stolen.json().errors]).toEqual([400, [NOT_YOURS]]);
    expect([anonymous.status, anonymous.json().errors]).toEqual([400, [NOT_YOURS]]);
    expect(own.status, own.text).toBe(200);
    expect(aml().requests.map((r) => [r.path, r.query.runId])).toEqual([[UPSTREAM_START, 'own']]);
    expect(aml().runs.getRun(WORKSPACE.workspace, EXPERIMENT, 'own')?.zip?.sha256).toBe(sha256(zip));
    expect(await stagedBlobs(gw)).toEqual([]);
  });

  it('a zip kept after a failed startrun can be retried by its stager only', async () => {
    // Prepare: Alice's startrun fails upstream; her zip is kept and named in the problem
    aml().faults.set({ status5xx: { count: 1, status: 503 }, pathPrefix: UPSTREAM_START });
    const failed = await postForm(gw, `${START}?runId=retry`, startRunForm(definition, projectZip()), ALICE);
    const { stagedZipId } = failed.json();
    expect([failed.status, typeof stagedZipId]).toEqual([502, 'string']);
    aml().requests.length = 0;
    // Act
    const stolen = await startWith(stagedZipId, MALLORY, 'retry');
    const own = await startWith(stagedZipId, ALICE, 'retry');
    // Assess
    expect([stolen.status, stolen.json().errors]).toEqual([400, [NOT_YOURS]]);
    expect(own.status, own.text).toBe(200);
    expect(aml().requests.map((r) => r.query.runId)).toEqual(['retry']);
  });

  it("the slot's holder snapshots and leases the blob: the run still starts, and cleanup removes blob and snapshots", async () => {
    // Prepare: what a `w` SAS allows beyond writing
    const slot = await slotOf(ALICE);
    const blob = new BlockBlobClient(slot.uploadUrl);
    await blob.uploadData(projectZip());
    await blob.createSnapshot();
    await blob.getBlobLeaseClient().acquireLease(-1); // infinite
    expect(await stagedBlobs(gw)).toHaveLength(2);
    // Act
    const res = await startWith(slot.uploadId, ALICE, 'leased');
    // Assess
    expect(res.status, res.text).toBe(200);
    expect(aml().requests.map((r) => r.query.runId)).toEqual(['leased']);
    expect(await stagedBlobs(gw)).toEqual([]);
  });

  it('a slot moved to the Archive tier is refused (it cannot be read) before the upstream is called', async () => {
    // Prepare
    const slot = await slotOf(ALICE);
    const blob = new BlockBlobClient(slot.uploadUrl);
    await blob.uploadData(projectZip());
    await blob.setAccessTier('Archive');
    // Act
    const res = await startWith(slot.uploadId, ALICE, 'archived');
    // Assess
    expect([res.status, res.json().errors]).toEqual([
      400,
      [{ path: 'body.stagedZipId', message: 'was moved to the Archive tier and cannot be read' }],
    ]);
    expect(aml().requests).toEqual([]);
  });

  it('a blob copied into a slot (not uploaded) is refused before the upstream is called', async () => {
    // Prepare: a zip readable elsewhere in the account, copied server-side into Alice's slot
    const service = BlobServiceClient.fromConnectionString(gw.azurite?.connectionString ?? '');
    const elsewhere = service.getContainerClient('elsewhere');
    await elsewhere.createIfNotExists({ access: 'blob' });
    const source = elsewhere.getBlockBlobClient('someone-elses.zip');
    await source.uploadData(projectZip());
    const slot = await slotOf(ALICE);
    await (await new BlockBlobClient(slot.uploadUrl).beginCopyFromURL(source.url)).pollUntilDone();
    // Act
    const res = await startWith(slot.uploadId, ALICE, 'copied');
    // Assess
    expect([res.status, res.json().errors]).toEqual([
      400,
      [{ path: 'body.stagedZipId', message: 'was copied into its slot; upload the zip itself' }],
    ]);
    expect(aml().requests).toEqual([]);
  });
});
