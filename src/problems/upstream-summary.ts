/**
 * @module
 * What the gateway may say about a failed upstream answer: a summary, never the answer itself.
 * Upstream error bodies carry stack traces, connection strings, tokens and internal addresses
 * (Azure ML's `debugInfo`, an HTML error page), so only allow-listed fields leave, and every
 * string that does is cut at any stack trace and has secret-looking values redacted.
 *
 * - Any status: `status`, the upstream's error code (Flyte/grpc-gateway: `code`; Azure ML:
 *   `error.code`), its correlation ids (Azure ML `correlation`) and the request id header.
 * - 4xx only: the upstream's message too (Flyte `message`, Azure ML `error.message`), cleaned.
 * - Never: details, innerError, debugInfo, target, additionalInfo, or any non-JSON body.
 *
 * Field names are matched in any case (a .NET service may answer `Error.Message`), and an Azure
 * ML message is kept even when its code is missing or not an identifier. The problem's `detail`
 * names both: `Azure ML answered 404 (UserError): Run r-1 was not found.` (see
 * {@link describeUpstreamBody}).
 */

/** The longest upstream message a problem carries (in `upstream.body` and `detail`). */
const UPSTREAM_MESSAGE_LIMIT = 500;

/** The allow-listed part of an upstream error body, in the upstream's own shape. */
export type UpstreamBodySummary =
  | { error?: { code?: string; message?: string }; correlation?: Record<string, string> }
  | { code?: number | string; message?: string };

/** What a problem says about a failed upstream answer. */
export interface UpstreamSummary {
  status: number;
  /** The allow-listed fields of the body; left out when nothing in it may be relayed. */
  body: UpstreamBodySummary | undefined;
  /** The upstream's request id (`x-ms-request-id` / `x-request-id`), for its operators. */
  requestId?: string;
}

/** The redaction marker. */
const REDACTED = '[redacted]';

/**
 * Secret shapes, each with its replacement. Order matters: whole connection strings and key
 * blocks go first, then tokens, then `name=value` pairs.
 */
const SECRET_PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  // PEM private keys.
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, REDACTED],
  // Connection strings: `DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…`, `Server=…;Password=…`.
  [
    /\b(?:DefaultEndpointsProtocol|AccountName|BlobEndpoint|QueueEndpoint|TableEndpoint|FileEndpoint|Endpoint|Server|Data Source|HostName|Host)\s*=[^;\s"'<>]*;[^\s"'<>]*/gi,
    `${REDACTED} connection string`,
  ],
  // JWTs (header and payload are base64url JSON, so both start `eyJ`).
  [/\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*)?/g, REDACTED],
  // `SharedAccessSignature sr=…&sig=…&se=…` (Service Bus / Event Hubs).
  [/\bSharedAccessSignature\s+[^\s"'<>]+/gi, `SharedAccessSignature ${REDACTED}`],
  // Authorization header values.
  [/\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`],
  // User info in URLs: `https://user:password@host`.
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s:@"'<>]+:[^/\s@"'<>]+@/gi, `$1${REDACTED}@`],
  // `name=value` and `name: value` secrets (keys, SAS `sig=`, passwords, client secrets, tokens).
  [
    /\b(AccountKey|SharedAccessKey|SharedAccessSignature|sig|password|passwd|pwd|secret|client_secret|clientSecret|api[_-]?key|access[_-]?key|access_token|refresh_token|id_token|token)(["']?\s*[=:]\s*["']?)[^\s;&,"'<>]+/gi,
    `$1$2${REDACTED}`,
  ],
];

/**
 * Replaces every secret-looking value in `text` with `[redacted]`.
 * @example
 * redactSecrets('AccountName=a;AccountKey=abc==') // '[redacted] connection string'
 * redactSecrets('Authorization: Bearer abcdefgh1234') // 'Authorization: Bearer [redacted]'
 */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/**
 * A line that starts a stack trace: JavaScript/Java/.NET `at X (file:line)`, Python's
 * `Traceback`, Go's `goroutine N [running]:` / `panic(`.
 */
const STACK_LINE =
  /^\s*(?:at\s+\S.*(?:\(.*\)|:\d+|\bin\s+\S+)|Traceback \(most recent call last\)|goroutine \d+ \[|panic\(|File ".*", line \d+)/;

/** Markup means an error page, not a message. */
const LOOKS_LIKE_HTML = /<\s*(?:!doctype|html|head|body|script|div|p|pre|title|h\d)\b/i;

/**
 * An upstream message fit to show: the lines before any stack trace, secrets redacted,
 * whitespace collapsed, capped at {@link UPSTREAM_MESSAGE_LIMIT} characters; undefined when
 * nothing (or markup) is left.
 * @example
 * cleanUpstreamMessage('boom\n    at f (/srv/a.js:1:2)') // 'boom'
 */
export function cleanUpstreamMessage(message: string): string | undefined {
  const lines: string[] = [];
  for (const line of message.slice(0, 16 * 1024).split(/\r?\n/)) {
    if (STACK_LINE.test(line)) break;
    lines.push(line);
  }
  const text = redactSecrets(lines.join('\n')).replace(/\s+/g, ' ').trim();
  if (text === '' || LOOKS_LIKE_HTML.test(text)) return undefined;
  return text.length > UPSTREAM_MESSAGE_LIMIT ? `${text.slice(0, UPSTREAM_MESSAGE_LIMIT - 1)}…` : text;
}

/** An error code may be an integer (gRPC) or a short identifier (`UserError`, `NotFound`). */
function cleanCode(code: unknown): number | string | undefined {
  if (typeof code === 'number') return Number.isSafeInteger(code) ? code : undefined;
  if (typeof code !== 'string' || !/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(code)) return undefined;
  return redactSecrets(code) === code ? code : undefined;
}

/** Ids (hex, GUIDs, `abc-123`): nothing that could carry text or a token. */
function cleanId(value: unknown): string | undefined {
  return typeof value === 'string' && /^[A-Za-z0-9][A-Za-z0-9_:-]{0,127}$/.test(value) ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Azure ML `correlation: {operation, request}` (a string map in the swagger), ids only. */
function cleanCorrelation(value: unknown): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [key, id] of Object.entries(value).slice(0, 8)) {
    const clean = cleanId(id);
    if (clean && /^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(key)) out[key] = clean;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The allow-listed fields of a parsed upstream error body (the message on 4xx only), or
 * undefined when none is present.
 * @example
 * summariseUpstreamBody(500, { code: 13, message: 'panic: AccountKey=…' }) // { code: 13 }
 * summariseUpstreamBody(400, { code: 3, message: 'missing launch plan', details: [] })
 * // { code: 3, message: 'missing launch plan' }
 */
function summariseUpstreamBody(status: number, body: unknown): UpstreamBodySummary | undefined {
  if (!isRecord(body)) return undefined;
  const withMessage = status >= 400 && status < 500;
  const message = (value: unknown) =>
    withMessage && typeof value === 'string' ? cleanUpstreamMessage(value) : undefined;
  // Azure ML ErrorResponse: {error: {code, message, …}, correlation: {…}, …}.
  const error = field(body, 'error');
  if (isRecord(error)) {
    const code = cleanCode(field(error, 'code'));
    const text = message(field(error, 'message'));
    const correlation = cleanCorrelation(field(body, 'correlation'));
    const kept = { ...(typeof code === 'string' ? { code } : {}), ...(text ? { message: text } : {}) };
    if (Object.keys(kept).length === 0) return correlation ? { correlation } : undefined;
    return { error: kept, ...(correlation ? { correlation } : {}) };
  }
  // grpc-gateway status (Flyte Admin): {code, message, details}; other JSON: its code and message.
  const code = cleanCode(field(body, 'code'));
  const text = message(field(body, 'message'));
  if (code === undefined && text === undefined) return undefined;
  return { ...(code === undefined ? {} : { code }), ...(text ? { message: text } : {}) };
}

/** A field of an error body by its name, or else the first whose name differs only in case. */
function field(record: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(record, name)) return record[name];
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : record[key];
}

/** The upstream's request id from its response headers, when it is a plain id. */
export function upstreamRequestId(
  headers: Record<string, string | string[] | undefined>,
): string | undefined {
  for (const name of ['x-ms-request-id', 'x-request-id']) {
    const value = headers[name];
    const id = cleanId(Array.isArray(value) ? value[0] : value);
    if (id) return id;
  }
  return undefined;
}

/**
 * The summary a problem carries for one failed upstream answer.
 * @example
 * summariseUpstream(500, { code: 13, message: 'boom' }, 'abc-1') // { status: 500, body: { code: 13 }, requestId: 'abc-1' }
 */
export function summariseUpstream(status: number, body: unknown, requestId?: string): UpstreamSummary {
  const kept = summariseUpstreamBody(status, body);
  const id = cleanId(requestId);
  // `body` is left out rather than set to undefined, so the summary equals its JSON rendering.
  return { status, ...(kept ? { body: kept } : {}), ...(id ? { requestId: id } : {}) } as UpstreamSummary;
}

/** The message of a summary, if it kept one. */
function summaryMessage(body: UpstreamBodySummary | undefined): string | undefined {
  if (!body) return undefined;
  return 'message' in body ? body.message : 'error' in body ? body.error?.message : undefined;
}

/**
 * What a problem's detail says after `<upstream> answered <status>`: the Azure ML error code in
 * parentheses, then the (4xx-only, cleaned) message, or a full stop.
 * @example
 * describeUpstreamBody({ error: { code: 'UserError', message: 'Run r-1 not found.' } }) // ' (UserError): Run r-1 not found.'
 * describeUpstreamBody({ code: 5, message: 'missing entity' }) // ': missing entity'
 * describeUpstreamBody(undefined) // '.'
 */
export function describeUpstreamBody(body: UpstreamBodySummary | undefined): string {
  const message = summaryMessage(body);
  const code = body && 'error' in body ? body.error?.code : undefined;
  const named = code ? ` (${code})` : '';
  return message ? `${named}: ${message}` : `${named}.`;
}
