/**
 * @module
 * JSON text as the gateway takes it in: bytes that must be UTF-8 (a stray byte is refused,
 * never turned into U+FFFD and forwarded as if the caller had sent it), nested no deeper than
 * `MAX_JSON_DEPTH` (deeper values make `JSON.stringify` throw when forwarded, and cost the
 * parser for nothing), then parsed. The depth is counted on the bytes, before any parse.
 */
import { isUtf8 } from 'node:buffer';
import { JsonTooDeepError, MalformedJsonError } from '../problems/errors.js';

/** `MAX_JSON_DEPTH`'s default (src/config.ts), for callers not handed the setting. */
export const DEFAULT_MAX_JSON_DEPTH = 128;

const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The deepest nesting of objects and arrays in a JSON text, counted on its bytes (brackets
 * inside strings do not count), stopping as soon as it passes `stopAbove`. Not a validator:
 * malformed text is left to the parser.
 * @example
 * jsonTextDepth(Buffer.from('{"a":[1,{"b":"]"}]}')) // 3
 */
export function jsonTextDepth(bytes: Uint8Array, stopAbove = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > stopAbove) return deepest;
      }
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      depth--;
    }
  }
  return deepest;
}

/**
 * The deepest nesting of objects and arrays in a parsed value, walked without recursion (so a
 * value too deep for the stack is measured, not thrown on), stopping past `stopAbove`.
 * @example
 * jsonValueDepth({ a: [1, { b: 2 }] }) // 3
 */
export function jsonValueDepth(value: unknown, stopAbove = Number.POSITIVE_INFINITY): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (item === null || typeof item !== 'object' || seen.has(item)) continue;
    seen.add(item);
    if (depth > deepest) {
      deepest = depth;
      if (deepest > stopAbove) return deepest;
    }
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/**
 * Throws `JsonTooDeepError` (400, naming the limit) when `value` nests deeper than `maxDepth`;
 * for values that arrive already parsed (MCP tool arguments).
 * @example
 * assertJsonDepth(args, settings.MAX_JSON_DEPTH, 'The tool arguments');
 */
export function assertJsonDepth(value: unknown, maxDepth: number, what = 'The request body'): void {
  if (jsonValueDepth(value, maxDepth) > maxDepth) throw new JsonTooDeepError(maxDepth, what);
}

/**
 * Offset of the first byte that does not begin a valid UTF-8 sequence, or -1 when all are
 * valid. A valid prefix decodes and re-encodes to itself, so the first U+FFFD in the decoded
 * text whose bytes are not EF BF BD (a real U+FFFD the caller sent) marks it.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  if (isUtf8(bytes)) return -1;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = buffer.toString('utf8');
  let offset = 0;
  let from = 0;
  for (let at = text.indexOf('\uFFFD'); at !== -1; at = text.indexOf('\uFFFD', at + 1)) {
    offset += Buffer.byteLength(text.slice(from, at));
    from = at + 1;
    if (buffer[offset] === 0xef && buffer[offset + 1] === 0xbf && buffer[offset + 2] === 0xbd) {
      offset += 3;
      continue;
    }
    return offset;
  }
  return offset; // not reached: isUtf8 said there is a bad byte
}

/**
 * The text of `bytes`, refused (400 malformed JSON, naming the byte offset) when they are not
 * UTF-8, as RFC 8259 §8.1 requires of JSON exchanged between systems.
 * @example
 * const text = decodeUtf8(bytes, 'The request body');
 */
function decodeUtf8(bytes: Uint8Array, what = 'The request body'): string {
  const bad = firstInvalidUtf8(bytes);
  if (bad !== -1) throw new MalformedJsonError(`${what} is not valid UTF-8: bad byte at offset ${bad}.`);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/**
 * Parses JSON bytes: UTF-8 checked, depth checked on the bytes, then `JSON.parse`. A syntax
 * error is a 400 malformed JSON naming `what`; `undefined` for a body of only white space.
 * @example
 * const value = parseJsonBytes(bytes, { maxDepth: settings.MAX_JSON_DEPTH });
 */
export function parseJsonBytes(
  bytes: Uint8Array,
  { maxDepth = DEFAULT_MAX_JSON_DEPTH, what = 'The request body' }: { maxDepth?: number; what?: string } = {},
): unknown {
  const text = decodeUtf8(bytes, what);
  if (text.trim() === '') return undefined;
  if (jsonTextDepth(bytes, maxDepth) > maxDepth) throw new JsonTooDeepError(maxDepth, what);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MalformedJsonError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
}
