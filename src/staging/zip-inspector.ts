/**
 * @module
 * A pass-through stream for project zips: it refuses the stream as soon as its first bytes
 * are not a zip signature or its size passes the cap, and hashes (SHA-256) and counts what
 * goes through, so staging learns both without a second read.
 */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { PayloadTooLargeError, ValidationError } from '../problems/errors.js';

/** Local file header, or end of central directory (an empty zip). */
const SIGNATURES = [Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from([0x50, 0x4b, 0x05, 0x06])];

/** True when `head` (at least 4 bytes) starts like a zip file. */
export function looksLikeZip(head: Uint8Array): boolean {
  const start = Buffer.from(head.subarray(0, 4));
  return start.length === 4 && SIGNATURES.some((s) => s.equals(start));
}

export function notAZip(field: string): ValidationError {
  return new ValidationError([{ path: field, message: 'is not a zip file (no PK signature)' }]);
}

/**
 * Emits `signature` once the first four bytes have passed as a zip's (before they go on).
 * @example
 * const inspector = new ZipInspector(300 * 1024 * 1024, 'body.projectZipFile');
 * await pipeline(source, inspector, destination);
 * inspector.size; inspector.sha256();
 */
export class ZipInspector extends Transform {
  size = 0;
  private readonly hash = createHash('sha256');
  private head = Buffer.alloc(0);

  constructor(
    private readonly maxBytes: number,
    private readonly field: string,
    private readonly tooLarge: (maxBytes: number) => Error = (max) => new PayloadTooLargeError(max),
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    const checked = this.head.length === 4;
    if (!checked) this.head = Buffer.concat([this.head, chunk.subarray(0, 4 - this.head.length)]);
    if (this.size > this.maxBytes) {
      callback(this.tooLarge(this.maxBytes));
    } else if (this.head.length === 4 && !looksLikeZip(this.head)) {
      callback(notAZip(this.field));
    } else {
      if (!checked && this.head.length === 4) this.emit('signature');
      this.hash.update(chunk);
      callback(null, chunk);
    }
  }

  override _flush(callback: TransformCallback): void {
    callback(this.head.length < 4 ? notAZip(this.field) : null);
  }

  /** Hex SHA-256 of everything that went through; call once, after the end. */
  sha256(): string {
    return this.hash.digest('hex');
  }
}
