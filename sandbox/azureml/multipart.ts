/**
 * A strict `multipart/form-data` parser (RFC 7578 over RFC 2046) for a buffered body: finds the boundary in
 * `Content-Type`, walks the delimiters, requires the CRLF framing, a closing delimiter, and a
 * `Content-Disposition: form-data; name=…` on every part. Part `Content-Type`s are returned but the
 * emulator ignores them, as the service evidently does (clients send none, `text/text` or
 * `application/zip`). Anything malformed is a 400 `ValidationError`, so a gateway that frames a body
 * wrongly fails here the way it would against Azure, not later and silently.
 * @module
 */
import { validationError } from './errors.js';

export interface MultipartPart {
  name: string;
  /** `filename` (or decoded `filename*`) when the part is a file; undefined for a plain field. */
  filename?: string;
  /** Part headers, names lower-cased. */
  headers: Record<string, string>;
  data: Buffer;
}

const CRLF = Buffer.from('\r\n');
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

function parseHeaderBlock(block: string, index: number): Omit<MultipartPart, 'data'> {
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

/**
 * Parses a whole `multipart/form-data` body.
 * @throws AzureMlError 400 for any framing error (no first delimiter, bad line ends, no closing delimiter)
 * @example parseMultipart(Buffer.from('--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--b--'), 'b')
 */
export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] {
  const dash = Buffer.from(`--${boundary}`);
  const delimiter = Buffer.concat([CRLF, dash]);
  // The first delimiter may open the body or follow a preamble (which is ignored).
  let position = body.subarray(0, dash.length).equals(dash) ? 0 : body.indexOf(delimiter);
  if (position === -1) throw validationError('The multipart body does not contain its boundary.');
  if (position > 0) position += CRLF.length;
  const parts: MultipartPart[] = [];
  for (;;) {
    let cursor = position + dash.length;
    if (body[cursor] === 0x2d && body[cursor + 1] === 0x2d) return parts; // "--": close delimiter, epilogue ignored
    while (body[cursor] === 0x20 || body[cursor] === 0x09) cursor += 1; // transport padding
    if (body[cursor] !== 0x0d || body[cursor + 1] !== 0x0a)
      throw validationError('A multipart boundary line is not followed by CRLF.');
    const start = cursor + 2;
    let contentStart: number;
    let block: string;
    if (body[start] === 0x0d && body[start + 1] === 0x0a) {
      block = '';
      contentStart = start + 2;
    } else {
      const end = body.indexOf('\r\n\r\n', start);
      if (end === -1 || end - start > MAX_HEADER_BLOCK_BYTES)
        throw validationError(`Multipart part ${parts.length + 1} has no end of headers.`);
      block = body.subarray(start, end).toString('utf8');
      contentStart = end + 4;
    }
    const next = body.indexOf(delimiter, contentStart);
    if (next === -1) throw validationError('The multipart body is truncated: no closing boundary.');
    if (parts.length === MAX_PARTS)
      throw validationError(`The multipart body has more than ${MAX_PARTS} parts.`);
    parts.push({ ...parseHeaderBlock(block, parts.length), data: body.subarray(contentStart, next) });
    position = next + CRLF.length;
  }
}
