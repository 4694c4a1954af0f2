/**
 * The Azure ML emulator parses a startrun body as it streams (sandbox/azureml/multipart.ts):
 * whatever the chunk boundaries — the whole body at once, one byte at a time, or pieces that
 * split a delimiter — it finds the same parts, contents and hashes, and the same first fault.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MultipartStream, type StreamedPart } from '../../sandbox/azureml/multipart.js';

const BOUNDARY = 'XyZ-boundary';
const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(5000, 7)]);
const definition = Buffer.from(JSON.stringify({ configuration: { script: 'train.py' } }));

function body(parts: { name: string; filename?: string; data: Buffer }[], closing = true): Buffer {
  const pieces: Buffer[] = [];
  for (const p of parts) {
    const file = p.filename ? `; filename="${p.filename}"` : '';
    pieces.push(
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.name}"${file}\r\n\r\n`),
      p.data,
      Buffer.from('\r\n'),
    );
  }
  if (closing) pieces.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(pieces);
}

/** Feeds `bytes` in pieces of the sizes `sizes` gives, then ends: the parts, or the fault's message. */
function parse(bytes: Buffer, sizes: () => number): StreamedPart[] | string {
  const form = new MultipartStream(BOUNDARY, (name) => (name === 'projectZipFile' ? 'hash' : 'keep'));
  for (let at = 0; at < bytes.length; ) {
    const size = Math.max(1, sizes());
    form.write(bytes.subarray(at, at + size));
    at += size;
  }
  try {
    return form.end();
  } catch (error) {
    return (error as Error).message;
  }
}

const whole = () => Number.MAX_SAFE_INTEGER;
const oneByte = () => 1;
/** Pieces of 1 to 40 bytes, the same sequence every run (a small linear congruential generator). */
const jagged = () => {
  let seed = 12345;
  return () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return 1 + (seed % 40);
  };
};

describe('the emulator parses a multipart startrun body as it streams', () => {
  it('finds the same parts, content and SHA-256 however the body is split', () => {
    // Prepare
    const bytes = body([
      { name: 'runDefinitionFile', filename: 'definition.json', data: definition },
      { name: 'projectZipFile', filename: 'project.zip', data: zip },
    ]);

    // Act
    const results = [parse(bytes, whole), parse(bytes, oneByte), parse(bytes, jagged())];

    // Assess
    for (const parts of results) {
      expect(typeof parts).not.toBe('string');
      const [def, project] = parts as StreamedPart[];
      expect(def?.data?.equals(definition)).toBe(true);
      expect(project?.size).toBe(zip.length);
      expect(project?.head).toEqual(zip.subarray(0, 4));
      expect(project?.sha256).toBe(createHash('sha256').update(zip).digest('hex'));
      expect(project?.data).toBeUndefined(); // hashed as it passed, never held
    }
  });

  it.each([
    ['no closing boundary', body([{ name: 'projectZipFile', filename: 'p.zip', data: zip }], false)],
    ['no boundary at all', Buffer.from('just some bytes')],
    ['a part without headers end', Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="a"`)],
  ])('gives the same fault for %s whatever the chunks', (_, bytes) => {
    // Act
    const answers = [parse(bytes, whole), parse(bytes, oneByte), parse(bytes, jagged())];

    // Assess
    expect(typeof answers[0]).toBe('string');
    expect(answers[1]).toBe(answers[0]);
    expect(answers[2]).toBe(answers[0]);
  });
});
