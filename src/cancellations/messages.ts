/**
 * @module
 * The queue message format, a public contract for producers: the message text is the
 * base64 of the UTF-8 JSON `{ "cancellation": { "batchId"?, "cause"?, "targets": [...] } }`.
 * The envelope keeps payload fields from shadowing the trigger's metadata (the Functions
 * Node.js library merges top-level JSON fields into `triggerMetadata`, e.g. a payload `id`
 * hides the message id: azure-functions-nodejs-library#459).
 *
 * Messages the gateway itself enqueues (a POSTed batch, retries) name the `chunk` row their
 * targets are recorded in and give each target its `index` in the batch, and may mark it (see
 * `EntryMarks`); a producer's do neither, and get indexes when their message is first processed.
 * A malformed message (not base64, not UTF-8 JSON, not an envelope) is rejected as a whole;
 * one bad target inside a good envelope — even `null` — fails alone.
 */
import { z } from 'zod';
import { toFieldErrors } from '../shared/field-errors.js';
import { chunkKey } from './store.js';
import { causeSchema, type Target, type TargetKind, targetSchema } from './targets.js';

/** Storage queues take at most 64 KiB of message text; base64 leaves 48 KiB of JSON. */
export const MAX_MESSAGE_TEXT_BYTES = 64 * 1024;
const MAX_JSON_BYTES = (MAX_MESSAGE_TEXT_BYTES / 4) * 3;
/** Fewer targets per message spreads a big batch over more messages processed in parallel. */
export const MAX_TARGETS_PER_MESSAGE = 128;

/** Batch ids are table partition keys and URL segments: letters, digits, `-` and `_`. */
export const batchIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/,
    'must be 1-64 letters, digits, "-" or "_", starting with a letter or digit',
  );

const chunkKeySchema = z.string().regex(/^c\d{7}$/, 'must be a chunk key written by the gateway');

const envelopeSchema = z.strictObject({
  cancellation: z.strictObject({
    batchId: batchIdSchema.optional(),
    cause: causeSchema.optional(),
    chunk: chunkKeySchema.optional(),
    targets: z.array(z.unknown()).min(1, 'must hold at least one target'),
  }),
});

/** What the gateway may add to a target it enqueues, besides its index. */
export interface EntryMarks {
  /** A retry: the attempts on record when it was queued; a later attempt makes it stale. */
  attempt?: number;
  /** A copy of the target at this index: it takes that target's outcome, with no call of its own. */
  sameAs?: number;
  /** The chunk row that holds `sameAs`. */
  in?: string;
  /** How many times this copy has already looked for its first copy's outcome. */
  round?: number;
}

const whole = z.number().int().min(0);
const marksSchema = z.object({
  index: whole,
  attempt: whole.optional(),
  sameAs: whole.optional(),
  in: chunkKeySchema.optional(),
  round: whole.optional(),
});
const MARKS = ['index', 'attempt', 'sameAs', 'in', 'round'] as const;

/** A target as the gateway enqueues it. */
export type QueuedTarget = Target & { index: number } & EntryMarks;

/** One entry of a decoded message: a valid target, or the reason it is not one. */
export type MessageEntry = (
  | { target: Target; index?: number }
  | { problem: string; index?: number; kind: TargetKind; identity: Record<string, string> }
) &
  EntryMarks;

export interface DecodedMessage {
  batchId?: string;
  cause?: string;
  entries: MessageEntry[];
  /** True when every target carries its batch index (a message the gateway wrote). */
  indexed: boolean;
  /** The chunk row of an indexed message. */
  chunk?: string;
}

export type DecodeResult =
  | { ok: true; message: DecodedMessage }
  | { ok: false; reason: string; batchId?: string };

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Padded standard base64, as the queue's producers and the Functions host write it. */
export const isBase64 = (text: string): boolean => BASE64.test(text);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a message text (base64 of UTF-8 JSON); never throws.
 * @example
 * const result = decodeMessage(text);
 * if (!result.ok) console.log(result.reason); // 'not base64'
 */
export function decodeMessage(text: string): DecodeResult {
  const compact = text.trim();
  if (compact === '' || !isBase64(compact)) return { ok: false, reason: 'the message text is not base64' };
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(Buffer.from(compact, 'base64')));
  } catch {
    return { ok: false, reason: 'the decoded message is not UTF-8 JSON' };
  }
  return decodeEnvelope(json);
}

/** Checks a parsed envelope; never throws. */
function decodeEnvelope(json: unknown): DecodeResult {
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) {
    const first = toFieldErrors('', parsed.error)[0];
    const batchId = (json as { cancellation?: { batchId?: unknown } } | null)?.cancellation?.batchId;
    return rejected(
      first ? `${first.path || '(message)'} ${first.message}` : 'invalid',
      typeof batchId === 'string' && batchIdSchema.safeParse(batchId).success ? batchId : undefined,
    );
  }
  const { batchId, cause, chunk, targets } = parsed.data.cancellation;
  const isObject = (t: unknown): t is Record<string, unknown> =>
    typeof t === 'object' && t !== null && !Array.isArray(t);
  const indexes = targets.map((t) => (isObject(t) ? t.index : undefined));
  const indexed = indexes.every((i) => i !== undefined);
  if (!indexed && indexes.some((i) => i !== undefined)) {
    return rejected('either every target has an index or none', batchId);
  }
  const marks = indexed ? targets.map((t) => marksSchema.safeParse(t)) : [];
  if (indexed && (!batchId || !chunk || !marks.every((m) => m.success))) {
    return rejected('indexed targets need a batchId, a chunk and whole indexes', batchId);
  }
  if (!indexed && chunk) return rejected('a chunk needs indexed targets', batchId);
  const entries = targets.map((raw, position): MessageEntry => {
    const mark: Partial<z.infer<typeof marksSchema>> = marks[position]?.data ?? {};
    // Not an object (null, a list, a string): a target that fails alone, with no fields to show.
    const fields = isObject(raw) ? { ...raw } : {};
    if (indexed) for (const key of MARKS) delete fields[key];
    const result = targetSchema.safeParse(isObject(raw) ? fields : raw);
    if (result.success) return { target: result.data, ...mark, index: mark.index };
    const problems = isObject(raw)
      ? toFieldErrors('', result.error).map((e) => `${e.path || 'target'} ${e.message}`)
      : [
          `target must be an object, not ${raw === null ? 'null' : Array.isArray(raw) ? 'a list' : typeof raw}`,
        ];
    const kind = fields.kind === 'azureml' ? 'azureml' : 'flyte';
    const identity = Object.fromEntries(
      Object.entries(fields).filter(([k, v]) => k !== 'kind' && typeof v === 'string'),
    ) as Record<string, string>;
    return { problem: `invalid target: ${problems.join('; ')}`, ...mark, index: mark.index, kind, identity };
  });
  return { ok: true, message: { batchId, cause, entries, indexed, ...(chunk ? { chunk } : {}) } };
}

function rejected(why: string, batchId: string | undefined): DecodeResult {
  return { ok: false, reason: `not a cancellation envelope: ${why}`, ...(batchId ? { batchId } : {}) };
}

/** One message text, the chunk row it names and the targets it carries, in order. */
export interface EncodedMessage {
  text: string;
  chunk: string;
  targets: QueuedTarget[];
}

/**
 * Splits indexed targets into message texts that each stay within the queue's limit. Each
 * message names `chunk` (a retry names its original's) or else its own chunk, keyed by its
 * first index. A copy (`sameAs`) is told the chunk of its first copy when that is among them.
 * @example
 * const messages = encodeMessages('b-1', 'cleanup', targets.map((target, index) => ({ ...target, index })));
 */
export function encodeMessages(
  batchId: string,
  cause: string | undefined,
  targets: readonly QueuedTarget[],
  chunk?: string,
): EncodedMessage[] {
  const headOf = (key: string) =>
    JSON.stringify({
      cancellation: { batchId, ...(cause === undefined ? {} : { cause }), chunk: key, targets: [] },
    });
  // Chunk keys all have one length, so one head size fits every message.
  const headBytes = Buffer.byteLength(headOf(chunkKey(0)));
  const messages: EncodedMessage[] = [];
  let parts: string[] = [];
  let carried: QueuedTarget[] = [];
  const placed = new Map<number, string>();
  let bytes = headBytes;
  const flush = () => {
    const first = carried[0];
    if (!first) return;
    const key = chunk ?? chunkKey(first.index);
    const json = `${headOf(key).slice(0, -4)}[${parts.join(',')}]}}`;
    messages.push({ text: Buffer.from(json, 'utf8').toString('base64'), chunk: key, targets: carried });
    parts = [];
    carried = [];
    bytes = headBytes;
  };
  for (const given of targets) {
    const home = given.sameAs === undefined ? undefined : placed.get(given.sameAs);
    const target = given.in === undefined && home !== undefined ? { ...given, in: home } : given;
    const json = JSON.stringify(target);
    const size = Buffer.byteLength(json) + 1;
    if (parts.length >= MAX_TARGETS_PER_MESSAGE || bytes + size > MAX_JSON_BYTES) flush();
    placed.set(target.index, chunk ?? chunkKey((carried[0] ?? target).index));
    parts.push(json);
    carried.push(target);
    bytes += size;
  }
  flush();
  return messages;
}
