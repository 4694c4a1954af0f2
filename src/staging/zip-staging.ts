/**
 * @module
 * Staging of project zips in the app's Blob Storage. A zip streams in through the
 * `ZipInspector` (signature, size cap, SHA-256) straight into a block blob — never held
 * whole — and its size and hash are stored as blob metadata. A zip sent inline is handed on to
 * the upstream request as staging reads it (`stageForwarding`, zip-tee.ts: each byte crosses
 * the app once); one staged before (a retry, an upload slot) is read back as a stream. A staged
 * zip is kept after an upstream failure so the client can retry by id, and deleted after success. Zips too big for a Functions request go in through an
 * upload slot: a short-lived, write-only SAS for one blob.
 *
 * Every zip belongs to whoever staged it (auth/owner.ts): it is stored as `<owner>/<id>.zip`,
 * and a staging seen by one owner (`for(owner)`) finds no other owner's ids. What a slot's
 * holder may do to their own blob beyond writing it (snapshot, lease, tier, copy in, a size
 * past the cap) is checked when the zip is used, and cleanup deletes through snapshots and
 * leases.
 */
import { randomUUID } from 'node:crypto';
import { type PassThrough, Readable } from 'node:stream';
import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { SHARED_OWNER } from '../auth/owner.js';
import { inlineZipLimit, type Settings } from '../config.js';
import {
  GatewayError,
  InlineZipTooLargeError,
  PayloadTooLargeError,
  UpstreamUnreachableError,
  ValidationError,
} from '../problems/errors.js';
import { storageBlob } from '../shared/lazy-require.js';
import { blobServiceClient, uploadSlotsOffError } from '../storage/clients.js';
import { looksLikeZip, notAZip, ZipInspector } from './zip-inspector.js';
import { teeInto, upstreamBranch } from './zip-tee.js';

export interface StagedZip {
  id: string;
  size: number;
  sha256: string;
}

/** A zip being staged while its bytes also go on to the upstream request (`stageForwarding`). */
export interface ForwardedZip {
  /** The staged blob's id, known at once; the blob exists once `staged` has resolved. */
  id: string;
  /** The zip's bytes as staging reads them, for one reader. */
  forward: Readable;
  /** Resolves once the first bytes have passed as a zip's; rejects as `staged` does. */
  head: Promise<void>;
  /** The committed blob (size and SHA-256 in its metadata), or the failure, with nothing left. */
  staged: Promise<StagedZip>;
}

export interface UploadSlot {
  uploadId: string;
  uploadUrl: string;
  expiresOn: string;
  /** The largest zip a run will take from the slot (`MAX_PROJECT_ZIP_BYTES`). */
  maxBytes: number;
}

/** Staging writes with 4 MiB blocks, four in flight: about 20 MiB of memory per upload. */
const BLOCK_SIZE = 4 * 1024 * 1024;
const BLOCKS_IN_FLIGHT = 4;

/**
 * Writes a stream as the blocks of a block blob, `BLOCKS_IN_FLIGHT` at a time, and returns their
 * ids for the commit. Not `uploadStream`: after a failure it settles while blocks are still in
 * flight, and those land after any cleanup. Here, whatever happens, every block write has
 * settled before this returns or throws.
 */
async function stageBlocks(source: AsyncIterable<Buffer>, blob: BlockBlobClient): Promise<string[]> {
  const ids: string[] = [];
  const inFlight = new Set<Promise<unknown>>();
  let failed: { error: unknown } | undefined;
  const send = async (chunks: Buffer[], length: number) => {
    // Ids of one length (a blob's block ids must all be the same length), in order.
    const blockId = Buffer.from(String(ids.length).padStart(8, '0')).toString('base64');
    ids.push(blockId);
    // The block goes as the chunks it came in (a stream the SDK may open again to retry), not
    // copied into one 4 MiB buffer: that was a second copy of every byte, and its garbage took
    // the 1 GiB bench's peak RSS past 200 MB.
    const write: Promise<unknown> = blob
      .stageBlock(blockId, () => Readable.from(chunks), length)
      .then(
        () => inFlight.delete(write),
        (error: unknown) => {
          inFlight.delete(write);
          failed ??= { error };
        },
      );
    inFlight.add(write);
    if (inFlight.size >= BLOCKS_IN_FLIGHT) await Promise.race(inFlight);
    if (failed) throw failed.error;
  };
  try {
    let pending: Buffer[] = [];
    let size = 0;
    for await (const chunk of source) {
      let rest = chunk;
      // Fill the block exactly: the chunk that crosses its end is split (a view, not a copy).
      while (size + rest.length >= BLOCK_SIZE) {
        const take = BLOCK_SIZE - size;
        pending.push(rest.subarray(0, take));
        await send(pending, BLOCK_SIZE);
        pending = [];
        size = 0;
        rest = rest.subarray(take);
      }
      if (rest.length > 0) {
        pending.push(rest);
        size += rest.length;
      }
    }
    if (size > 0) await send(pending, size);
    await Promise.all(inFlight);
    if (failed) throw failed.error;
    return ids;
  } finally {
    await Promise.allSettled(inFlight);
  }
}

/**
 * Removes a blob that failed to stage, uncommitted blocks included: Azure's Delete Blob does not
 * see a blob that has only uncommitted blocks, but committing an empty block list drops them
 * (and makes an empty blob, which is then deleted). The name is this upload's own, fresh.
 * @see https://learn.microsoft.com/rest/api/storageservices/put-block-list#remarks
 */
async function discard(blob: BlockBlobClient): Promise<void> {
  await blob.commitBlockList([]);
  await blob.deleteIfExists({ deleteSnapshots: 'include' });
}

/**
 * A staging failure as the caller sees it: one of ours as it is; anything else came from Blob
 * Storage (down, refusing), which is named rather than hidden in a bare 500.
 */
function storageFailure(error: unknown): GatewayError {
  return error instanceof GatewayError
    ? error
    : new UpstreamUnreachableError('Blob Storage (zip staging)', error);
}

/** The container, made once per staging area and shared by every owner's view of it. */
interface Area {
  container?: Promise<ContainerClient>;
}

export class ZipStaging {
  constructor(
    private readonly settings: Settings,
    private readonly owner = SHARED_OWNER,
    private readonly area: Area = {},
  ) {}

  /**
   * The same staging area as one owner sees it: what it stages is theirs, and only their ids
   * are found.
   * @example
   * const mine = staging.for(request.owner);
   */
  for(owner: string): ZipStaging {
    return new ZipStaging(this.settings, owner, this.area);
  }

  /** The largest zip `stage` takes: what a request can carry inline (`inlineZipLimit`). */
  inlineLimit(): number {
    return inlineZipLimit(this.settings);
  }

  private blobName(id: string): string {
    return `${this.owner}/${id}.zip`;
  }

  /**
   * Streams a zip sent inline in a request into a new staged blob, capped at what a request
   * can carry (`inlineZipLimit`). On any failure (not a zip, too large, source error, storage
   * error) nothing is left behind: not the blob, and not its uncommitted blocks either, which
   * no listing shows and no delete of the blob's name removes, yet are billed for 7 days.
   * @example
   * const staged = await staging.stage(fileStream, 'body.projectZipFile');
   */
  stage(source: Readable, field: string): Promise<StagedZip> {
    return this.begin(source, field).staged;
  }

  /**
   * Stages a zip as `stage` does and hands the same bytes, as staging reads them, to a second
   * reader (`forward`: the upstream request), so the zip streams once. The slower of the two
   * sets the pace; a `forward` its reader destroys is dropped and staging goes on to the end.
   * When staging fails, `forward` is destroyed with the failure (its reader must not finish a
   * request for a zip that is not staged), and nothing is left behind, as with `stage`.
   * @example
   * const zip = staging.stageForwarding(fileStream, 'body.projectZipFile');
   * await zip.head; // it starts like a zip
   * send(zip.forward); const staged = await zip.staged;
   */
  stageForwarding(source: Readable, field: string): ForwardedZip {
    const forward = upstreamBranch();
    const { id, staged, head } = this.begin(source, field, forward);
    return { id, forward, head, staged };
  }

  private begin(
    source: Readable,
    field: string,
    forward?: PassThrough,
  ): { id: string; staged: Promise<StagedZip>; head: Promise<void> } {
    // Take hold of the source before any await: a part that fails meanwhile must reach us.
    const limit = this.inlineLimit();
    const inspector = new ZipInspector(limit, field, (max) => new InlineZipTooLargeError(max));
    // Its failure is read from `inspector.errored` below, whenever it comes (even before the
    // blocks are read, while the container is still being made).
    inspector.on('error', () => undefined);
    source.once('error', (error) => inspector.destroy(error));
    source.once('close', () => {
      if (!source.readableEnded) inspector.destroy(new Error('the part was cut off'));
    });
    source.pipe(inspector);
    const id = randomUUID();
    const staged = (async () => {
      let blob: BlockBlobClient | undefined;
      try {
        blob = (await this.getContainer()).getBlockBlobClient(this.blobName(id));
        const blocks = await stageBlocks(forward ? teeInto(inspector, forward) : inspector, blob);
        const zip = { id, size: inspector.size, sha256: inspector.sha256() };
        await blob.commitBlockList(blocks, {
          blobHTTPHeaders: { blobContentType: 'application/zip' },
          metadata: { sha256: zip.sha256, size: String(zip.size) },
        });
        return zip;
      } catch (error) {
        const failure = inspector.errored ?? storageFailure(error);
        forward?.destroy(failure);
        source.unpipe(inspector);
        source.resume(); // drain what is left of this part so the parser can finish
        inspector.destroy();
        if (blob) await discard(blob).catch(() => undefined);
        throw failure;
      }
    })();
    const head = new Promise<void>((resolve, reject) => {
      inspector.once('signature', resolve);
      staged.catch(reject);
    });
    head.catch(() => undefined);
    return { id, staged, head };
  }

  /**
   * This owner's staged zip, checked again before use (it may have come through an upload
   * slot): it exists, was written rather than copied in, is readable (not archived), starts like
   * a zip and is within the cap. A zip that fails is left as it is (the lifecycle rule removes it).
   */
  async open(
    id: string,
    field: string,
  ): Promise<{ id: string; size: number; stream: () => Promise<Readable> }> {
    const blob = (await this.getContainer()).getBlockBlobClient(this.blobName(id));
    const properties = await blob.getProperties().catch((error: { statusCode?: number }) => {
      if (error.statusCode === 404) {
        throw new ValidationError([
          { path: field, message: 'no staged zip of yours has this id (expired, used, or never uploaded)' },
        ]);
      }
      throw error;
    });
    if (properties.copyId) {
      throw new ValidationError([
        { path: field, message: 'was copied into its slot; upload the zip itself' },
      ]);
    }
    if (properties.accessTier === 'Archive' || properties.archiveStatus) {
      throw new ValidationError([
        { path: field, message: 'was moved to the Archive tier and cannot be read' },
      ]);
    }
    const size = properties.contentLength ?? 0;
    if (size > this.settings.MAX_PROJECT_ZIP_BYTES)
      throw new PayloadTooLargeError(this.settings.MAX_PROJECT_ZIP_BYTES);
    const head = size >= 4 ? await blob.downloadToBuffer(0, 4) : Buffer.alloc(0);
    if (!looksLikeZip(head)) throw notAZip(field);
    return {
      id,
      size,
      stream: async () => {
        const download = await blob.download(0, size);
        if (!download.readableStreamBody)
          throw new GatewayError(500, 'internal-error', 'Staged zip unreadable');
        return download.readableStreamBody as Readable;
      },
    };
  }

  /**
   * Deletes this owner's zip with its snapshots, breaking a lease its slot's holder took out
   * (a leased blob cannot be deleted, and the holder's lease id is not ours).
   */
  async delete(id: string): Promise<void> {
    const blob = (await this.getContainer()).getBlockBlobClient(this.blobName(id));
    const remove = () => blob.deleteIfExists({ deleteSnapshots: 'include' });
    try {
      await remove();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 412) throw error;
      await blob.getBlobLeaseClient().breakLease(0);
      await remove();
    }
  }

  /**
   * A SAS URL for one new blob of this owner's, valid `UPLOAD_SLOT_MINUTES`, with write (`w`)
   * alone: the narrowest permission that takes both a single Put Blob and a block upload (Put
   * Block and Put Block List need `w`; create `c` adds nothing `w` lacks). No read, list or
   * delete. Signed with a user delegation key when the client has an Entra credential; with
   * the account key only when the connection string carries one (Azurite).
   * @see https://learn.microsoft.com/rest/api/storageservices/create-user-delegation-sas
   */
  async uploadSlot(now = new Date()): Promise<UploadSlot> {
    if (this.settings.UPLOAD_SLOTS === 'off') throw uploadSlotsOffError(this.settings);
    const { BlobSASPermissions, generateBlobSASQueryParameters, SASProtocol, StorageSharedKeyCredential } =
      storageBlob();
    const container = await this.getContainer();
    const uploadId = randomUUID();
    const blob = container.getBlockBlobClient(this.blobName(uploadId));
    const startsOn = new Date(now.getTime() - 5 * 60_000); // tolerate clock skew
    const expiresOn = new Date(now.getTime() + this.settings.UPLOAD_SLOT_MINUTES * 60_000);
    const values = {
      containerName: container.containerName,
      blobName: this.blobName(uploadId),
      permissions: BlobSASPermissions.parse('w'),
      startsOn,
      expiresOn,
      protocol: blob.url.startsWith('https:') ? SASProtocol.Https : SASProtocol.HttpsAndHttp,
      contentType: 'application/zip',
    };
    const credential = container.credential;
    const sas =
      credential instanceof StorageSharedKeyCredential
        ? generateBlobSASQueryParameters(values, credential)
        : generateBlobSASQueryParameters(
            values,
            await blobServiceClient(this.settings).then((s) => s.getUserDelegationKey(startsOn, expiresOn)),
            container.accountName,
          );
    return {
      uploadId,
      uploadUrl: `${blob.url}?${sas.toString()}`,
      expiresOn: expiresOn.toISOString(),
      maxBytes: this.settings.MAX_PROJECT_ZIP_BYTES,
    };
  }

  private getContainer(): Promise<ContainerClient> {
    const { area } = this;
    area.container ??= blobServiceClient(this.settings).then(async (service) => {
      const container = service.getContainerClient(this.settings.STAGING_CONTAINER);
      await container.createIfNotExists();
      return container;
    });
    // A failed creation (storage down) is retried on the next call.
    area.container.catch(() => {
      area.container = undefined;
    });
    return area.container;
  }
}
