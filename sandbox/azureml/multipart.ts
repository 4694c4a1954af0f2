/**
 * A strict `multipart/form-data` parser (RFC 7578 over RFC 2046) for a body that streams in: finds the
 * boundary in `Content-Type`, walks the delimiters, requires the CRLF framing, a closing delimiter, and a
 * `Content-Disposition: form-data; name=…` on every part. Part `Content-Type`s are returned but the
 * emulator ignores them, as the service evidently does (clients send none, `text/text` or
 * `application/zip`). Anything malformed is a 400 `ValidationError`, so a gateway that frames a body
 * wrongly fails here the way it would against Azure, not later and silently. (Not busboy, which the
 * gateway uses: it skips parts without a form-data disposition, ignores junk after a boundary and parts
 * past its limit, and has one message for every cut-off body.)
 * @module
 */
import { createHash } from 'node:crypto';
import { AzureMlError, validationError } from './errors.js';

/** What a part's header block says. */
interface PartFields {
  name: string;
  /** `filename` (or decoded `filename*`) when the part is a file; undefined for a plain field. */
  filename?: string;
  /** Part headers, names lower-cased. */
  headers: Record<string, string>;
}

const CRLF = Buffer.from('\r\n');
const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;
const SPACE = 0x20;
const TAB = 0x09;
const MAX_HEADER_BLOCK_BYTES = 16 * 1024;
const MAX_PARTS = 100;

/** Splits `type; a=1; b="x \"y\""` into the lower-cased type and lower-cased parameter names. */
export function parseHeaderParams(value: string): { type: string; params: Record<string, string> } {
  const semicolon = value.indexOf(';');
  const type = (semicolon === -1 ? value : value.slice(0, semicolon)).trim().toLowerCase();
  const params: Record<string, string> = {};
  const pattern = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;]*))/gy;
  let rest = semicolon === -1 ? '' : value.slice(semicolon).trimEnd();
  while (rest.length > 0) {
    pattern.lastIndex = 0;
    const match = pattern.exec(rest);
    if (!match) throw validationError(`Malformed header parameters: '${value}'.`);
    const [whole, name = '', quoted, token] = match;
    params[name.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (token ?? '');
    rest = rest.slice(whole.length).trimStart();
    if (rest.length > 0 && !rest.startsWith(';'))
      throw validationError(`Malformed header parameters: '${value}'.`);
  }
  return { type, params };
}

/**
 * The boundary of a `multipart/form-data` content type; undefined when the type is something else.
 * @throws AzureMlError 400 when it is multipart/form-data without a usable boundary
 */
export function formDataBoundary(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const { type, params } = parseHeaderParams(contentType);
  if (type !== 'multipart/form-data') return undefined;
  const boundary = params.boundary;
  // RFC 2046: 1-70 characters, not ending in a space.
  if (boundary === undefined || boundary.length < 1 || boundary.length > 70 || boundary.endsWith(' '))
    throw validationError('The multipart/form-data Content-Type has no valid boundary parameter.');
  return boundary;
}

/** RFC 5987 `filename*=UTF-8''na%C3%AFve.zip`. */
function extendedValue(value: string): string | undefined {
  const match = /^([\w!#$%&+^`{}~-]+)'[^']*'(.*)$/.exec(value);
  if (match?.[1]?.toLowerCase() !== 'utf-8') return undefined;
  try {
    return decodeURIComponent(match[2] ?? '');
  } catch {
    return undefined;
  }
}

function parseHeaderBlock(block: string, index: number): PartFields {
  const headers: Record<string, string> = {};
  for (const line of block === '' ? [] : block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw validationError(`Multipart part ${index + 1} has a malformed header line.`);
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const disposition = headers['content-disposition'];
  if (disposition === undefined)
    throw validationError(`Multipart part ${index + 1} has no Content-Disposition header.`);
  const { type, params } = parseHeaderParams(disposition);
  if (type !== 'form-data' || !params.name)
    throw validationError(`Multipart part ${index + 1} is not 'form-data' with a name.`);
  const starred = params['filename*'] === undefined ? undefined : extendedValue(params['filename*']);
  const filename = starred ?? params.filename;
  return filename === undefined ? { name: params.name, headers } : { name: params.name, filename, headers };
}

/** A part as it streamed past: its headers, its size and first bytes, and its content kept or hashed on request. */
export interface StreamedPart extends PartFields {
  /** Length of the content in bytes. */
  size: number;
  /** The first bytes of the content (up to 4: enough to tell a zip by its signature). */
  head: Buffer;
  /** The whole content, for parts handled `keep`. */
  data?: Buffer;
  /** SHA-256 (hex) of the content, for parts handled `hash`. */
  sha256?: string;
}

/** What becomes of a part's content, chosen by its name: kept whole, hashed, or only counted. */
export type PartHandling = 'keep' | 'hash' | 'count';

/** Where the parser is in the body. `boundary` is right after a `--boundary`. */
type State =
  | 'start'
  | 'preamble'
  | 'boundary'
  | 'closing'
  | 'padding'
  | 'lineFeed'
  | 'headers'
  | 'content'
  | 'done'
  | 'failed';

const EMPTY = Buffer.alloc(0);
const HEAD_BYTES = 4;

/** The part whose content is streaming now; its header error waits until the part ends. */
class PartInProgress {
  size = 0;
  head = EMPTY;
  private readonly chunks: Buffer[] = [];
  private readonly hash;

  constructor(
    private readonly fields: PartFields | undefined,
    readonly headerError: AzureMlError | undefined,
    private readonly handling: PartHandling,
  ) {
    this.hash = handling === 'hash' ? createHash('sha256') : undefined;
  }

  add(bytes: Buffer): void {
    this.size += bytes.length;
    if (this.head.length < HEAD_BYTES)
      this.head = Buffer.concat([this.head, bytes.subarray(0, HEAD_BYTES - this.head.length)]);
    if (this.handling === 'keep') this.chunks.push(bytes);
    this.hash?.update(bytes);
  }

  finish(): StreamedPart {
    const part: StreamedPart = { ...(this.fields as PartFields), size: this.size, head: this.head };
    if (this.handling === 'keep') part.data = Buffer.concat(this.chunks, this.size);
    if (this.hash) part.sha256 = this.hash.digest('hex');
    return part;
  }
}

/**
 * The parser: `write` each chunk as it comes, `end` at the end of the body. Only a few framing bytes are
 * held between chunks (a header block up to 16 KiB, or the last bytes of a part that may begin a
 * delimiter); part contents go by, kept, hashed or counted as `handling` says. The first fault in the body
 * wins, and a part's header faults count only once its end is found (a body cut short in the middle of a
 * bad part is "truncated"); so the answers are those the emulator gave when it parsed whole bodies.
 * @example
 * const form = new MultipartStream('b', (name) => (name === 'projectZipFile' ? 'hash' : 'keep'));
 * for await (const chunk of request) form.write(chunk);
 * const parts = form.end(); // or throws the AzureMlError 400 of the first fault
 */
export class MultipartStream {
  private readonly dash: Buffer;
  private readonly delimiter: Buffer;
  private state: State = 'start';
  /** Bytes held between writes: the body's first bytes, a header block, or a possible delimiter start. */
  private pending = EMPTY;
  private readonly parts: StreamedPart[] = [];
  private current: PartInProgress | undefined;
  private failure: AzureMlError | undefined;

  constructor(
    boundary: string,
    private readonly handling: (name: string) => PartHandling,
  ) {
    this.dash = Buffer.from(`--${boundary}`);
    this.delimiter = Buffer.concat([CRLF, this.dash]);
  }

  /** Takes the next bytes of the body; a fault is kept for `end` and the rest of the body ignored. */
  write(chunk: Buffer): void {
    let rest: Buffer = chunk;
    try {
      while (rest.length > 0 && this.state !== 'done' && this.state !== 'failed') rest = this.step(rest);
    } catch (error) {
      if (!(error instanceof AzureMlError)) throw error;
      this.failure = error;
      this.state = 'failed';
      this.pending = EMPTY;
      this.current = undefined;
    }
  }

  /**
   * The parts, once the whole body has been written.
   * @throws AzureMlError 400 for the first framing or part fault in the body
   */
  end(): StreamedPart[] {
    if (this.failure) throw this.failure;
    switch (this.state) {
      case 'done':
        return this.parts;
      case 'start':
      case 'preamble':
        throw validationError('The multipart body does not contain its boundary.');
      case 'headers':
        throw noEndOfHeaders(this.parts.length);
      case 'content':
        throw truncated();
      default:
        throw notFollowedByCrlf();
    }
  }

  /** Consumes the start of `chunk` in the current state; returns what is left of it. */
  private step(chunk: Buffer): Buffer {
    switch (this.state) {
      case 'start':
        return this.start(chunk);
      case 'preamble':
        return this.preamble(chunk);
      case 'boundary':
        // "--" closes the body (the epilogue is ignored); else optional padding, then CRLF.
        if (chunk[0] === DASH) {
          this.state = 'closing';
          return chunk.subarray(1);
        }
        this.state = 'padding';
        return chunk;
      case 'closing':
        if (chunk[0] !== DASH) throw notFollowedByCrlf();
        this.state = 'done';
        return EMPTY;
      case 'padding': {
        let cursor = 0;
        while (chunk[cursor] === SPACE || chunk[cursor] === TAB) cursor += 1;
        if (cursor === chunk.length) return EMPTY;
        if (chunk[cursor] !== CR) throw notFollowedByCrlf();
        this.state = 'lineFeed';
        return chunk.subarray(cursor + 1);
      }
      case 'lineFeed':
        if (chunk[0] !== LF) throw notFollowedByCrlf();
        this.state = 'headers';
        return chunk.subarray(1);
      case 'headers':
        return this.headers(chunk);
      case 'content':
        return this.content(chunk);
      default:
        return EMPTY;
    }
  }

  /** The first delimiter may open the body, or follow a preamble. */
  private start(chunk: Buffer): Buffer {
    this.pending = Buffer.concat([this.pending, chunk]);
    if (this.pending.length < this.dash.length) return EMPTY;
    const body = this.pending;
    this.pending = EMPTY;
    if (body.subarray(0, this.dash.length).equals(this.dash)) {
      this.state = 'boundary';
      return body.subarray(this.dash.length);
    }
    this.state = 'preamble';
    return body;
  }

  private preamble(chunk: Buffer): Buffer {
    // The preamble is dropped, as RFC 2046 says.
    const rest = this.seek(chunk, () => undefined);
    if (rest === undefined) return EMPTY;
    this.state = 'boundary';
    // A body that opens with CRLF "--boundary" has an empty preamble line: RFC 2046 lets the first
    // delimiter follow a preamble, and common parsers (busboy, ASP.NET Core's MultipartReader) skip it.
    return rest;
  }

  /** Collects a header block: none (a bare CRLF), or lines up to CRLF CRLF within 16 KiB. */
  private headers(chunk: Buffer): Buffer {
    const block = Buffer.concat([this.pending, chunk]);
    this.pending = block;
    if (block.length < 2) return EMPTY;
    let text = '';
    let contentStart = 2;
    if (block[0] !== CR || block[1] !== LF) {
      const end = block.indexOf('\r\n\r\n');
      if (end === -1 || end > MAX_HEADER_BLOCK_BYTES) {
        if (end !== -1 || block.length >= MAX_HEADER_BLOCK_BYTES + 4) throw noEndOfHeaders(this.parts.length);
        return EMPTY;
      }
      text = block.toString('utf8', 0, end);
      contentStart = end + 4;
    }
    this.pending = EMPTY;
    this.current = this.openPart(text);
    this.state = 'content';
    return block.subarray(contentStart);
  }

  private openPart(block: string): PartInProgress {
    try {
      const fields = parseHeaderBlock(block, this.parts.length);
      return new PartInProgress(fields, undefined, this.handling(fields.name));
    } catch (error) {
      if (!(error instanceof AzureMlError)) throw error;
      return new PartInProgress(undefined, error, 'count');
    }
  }

  private content(chunk: Buffer): Buffer {
    const part = this.current as PartInProgress;
    const rest = this.seek(chunk, (bytes) => part.add(bytes));
    if (rest === undefined) return EMPTY;
    if (this.parts.length === MAX_PARTS)
      throw validationError(`The multipart body has more than ${MAX_PARTS} parts.`);
    if (part.headerError) throw part.headerError;
    this.parts.push(part.finish());
    this.current = undefined;
    this.state = 'boundary';
    return rest;
  }

  /**
   * Looks for CRLF "--boundary" in the held bytes plus `chunk`, handing every byte before it to `sink`.
   * Returns what follows the delimiter, or undefined when it is not in sight yet; then the last bytes,
   * which may begin it, are held for the next chunk.
   */
  private seek(chunk: Buffer, sink: (bytes: Buffer) => void): Buffer | undefined {
    const { delimiter } = this;
    const hold = delimiter.length - 1;
    if (this.pending.length > 0) {
      const held = this.pending;
      // A delimiter that starts in the held bytes ends within the next `hold` bytes.
      const joint = Buffer.concat([held, chunk.subarray(0, hold)]);
      const at = joint.indexOf(delimiter);
      if (at !== -1) {
        this.pending = EMPTY;
        if (at > 0) sink(joint.subarray(0, at));
        return chunk.subarray(at + delimiter.length - held.length);
      }
      if (chunk.length < hold) return this.holdTail(joint, sink);
      this.pending = EMPTY;
      sink(held);
    }
    const at = chunk.indexOf(delimiter);
    if (at === -1) return this.holdTail(chunk, sink);
    if (at > 0) sink(chunk.subarray(0, at));
    return chunk.subarray(at + delimiter.length);
  }

  /** Passes on all but the last bytes of `bytes`, which may begin a delimiter, and holds those. */
  private holdTail(bytes: Buffer, sink: (bytes: Buffer) => void): undefined {
    const cut = Math.max(0, bytes.length - (this.delimiter.length - 1));
    if (cut > 0) sink(bytes.subarray(0, cut));
    this.pending = Buffer.from(bytes.subarray(cut));
    return undefined;
  }
}

function noEndOfHeaders(completedParts: number): AzureMlError {
  return validationError(`Multipart part ${completedParts + 1} has no end of headers.`);
}

function notFollowedByCrlf(): AzureMlError {
  return validationError('A multipart boundary line is not followed by CRLF.');
}

function truncated(): AzureMlError {
  return validationError('The multipart body is truncated: no closing boundary.');
}
