/**
 * Reads a `startrun` body as it arrives instead of buffering it: the multipart is parsed on the fly
 * (`MultipartStream`), the project zip is counted and hashed as it goes by and never held, the run
 * definition is kept (it is small JSON), and the whole body is counted and (unless told not to) hashed for
 * the journal, whose text form needs only its first bytes. Past the size cap the parts are no longer looked
 * at (the answer is 413 then), but the body is still read to its end, so a client still uploading gets that
 * answer.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { readBodyBytes } from '../common/http-io.js';
import type { AzureMlError } from './errors.js';
import { formDataBoundary, MultipartStream, type PartHandling, type StreamedPart } from './multipart.js';

/** A startrun body, read by {@link readStartRunBody}. */
export interface StartRunBody {
  /**
   * What the journal records: the first bytes, and the count and SHA-256 of every byte received (no
   * SHA-256 when read with `hashBody: false`).
   */
  journal: { bytes: Buffer; totalBytes: number; sha256?: string };
  /** More bytes arrived than the cap; the parts past it were not parsed. */
  overflowed: boolean;
  /**
   * The parts as parsed while they arrived, or the first fault of the multipart; undefined when the
   * `Content-Type` names no usable multipart boundary (the operation answers that with 415 or 400).
   */
  form?: { parts: StreamedPart[] } | { error: AzureMlError };
}

/** The definition is parsed afterwards, the zip only counted and hashed, anything else only counted. */
function handlingOf(name: string): PartHandling {
  if (name === 'runDefinitionFile') return 'keep';
  return name === 'projectZipFile' ? 'hash' : 'count';
}

function boundaryOf(contentType: string | undefined): string | undefined {
  try {
    return formDataBoundary(contentType);
  } catch {
    return undefined; // the operation rejects this Content-Type itself, in its own order
  }
}

/**
 * Reads the whole body of a startrun, parsing its multipart up to `maxBytes`. `hashBody: false` skips
 * the journal's SHA-256 of the whole body (the zip part is hashed either way).
 * @example const body = await readStartRunBody(req, maxZipBytes + MULTIPART_OVERHEAD_BYTES, 64 * 1024);
 */
export async function readStartRunBody(
  request: IncomingMessage,
  maxBytes: number,
  journalBytes: number,
  hashBody = true,
): Promise<StartRunBody> {
  const boundary = boundaryOf(request.headers['content-type']);
  const multipart = boundary === undefined ? undefined : new MultipartStream(boundary, handlingOf);
  // The journal's reading (first bytes kept, everything counted and maybe hashed), with the
  // multipart parsed from each chunk as it passes, up to the cap.
  const { bytes, totalBytes, sha256 } = await readBodyBytes(request, journalBytes, {
    hash: hashBody,
    onChunk: (chunk, total) => {
      if (total <= maxBytes) multipart?.write(chunk);
    },
  });
  const overflowed = totalBytes > maxBytes;
  const body: StartRunBody = { journal: { bytes, totalBytes, sha256 }, overflowed };
  if (multipart && !overflowed) body.form = parsed(multipart);
  return body;
}

function parsed(multipart: MultipartStream): StartRunBody['form'] {
  try {
    return { parts: multipart.end() };
  } catch (error) {
    return { error: error as AzureMlError };
  }
}
