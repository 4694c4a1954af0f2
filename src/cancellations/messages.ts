/**
 * @module
 * The queue message format, a public contract for producers: the message text is the
 * base64 of the UTF-8 JSON `{ "cancellation": { "batchId"?, "cause"?, "targets": [...] } }`.
 * The envelope keeps payload fields from shadowing the trigger's metadata (the Functions
 * Node.js library merges top-level JSON fields into `triggerMetadata`, e.g. a payload `id`
 * hides the message id: azure-functions-nodejs-library#459).
 *
 * Targets the gateway itself enqueues (a POSTed batch, retries) carry their `index` in the
 * batch; a producer's targets do not, and get indexes when their message is first processed.
 * A malformed message (not base64, not UTF-8 JSON, not an envelope) is rejected as a whole;
 * one bad target inside a good envelope fails alone.
 */
import { z } from 'zod';
import { toFieldErrors } from '../http/validate.js';
import { causeSchema, type Target, targetSchema } from './targets.js';

/** Storage queues take at most 64 KiB of message text; base64 leaves 48 KiB of JSON. */
export const MAX_MESSAGE_TEXT_BYTES = 64 * 1024;
const MAX_JSON_BYTES = (MAX_MESSAGE_TEXT_BYTES / 4) * 3;
/** Fewer targets per message spreads a big batch over more messages processed in parallel. */
export const MAX_TARGETS_PER_MESSAGE = 256;

/** Batch ids are table partition keys and URL segments: letters, digits, `-` and `_`. */
export const batchIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/,
    'must be 1-64 letters, digits, "-" or "_", starting with a letter or digit',
  );

const envelopeSchema = z.strictObject({
  cancellation: z.strictObject({
    batchId: batchIdSchema.optional(),
    cause: causeSchema.optional(),
    targets: z.array(z.unknown()).min(1, 'must hold at least one target'),
  }),
});

/** A target as it travels: its batch index once the gateway has assigned one. */
export type QueuedTarget = Target & { index?: number };

/** One entry of a decoded message: a valid target, or the reason it is not one. */
export type MessageEntry = { target: Target; index?: number } | { problem: string; index?: number };

export interface DecodedMessage {
  batchId?: string;
  cause?: string;
  entries: MessageEntry[];
  /** True when every target carries its batch index (a message the gateway wrote). */
  indexed: boolean;
}

export type DecodeResult =
  | { ok: true; message: DecodedMessage }
  | { ok: false; reason: string; batchId?: string };

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a message text (base64 of UTF-8 JSON); never throws.
 * @example
 * const result = decodeMessage(text);
 * if (!result.ok) console.log(result.reason); // 'not base64'
 */
export function decodeMessage(text: string): DecodeResult {
  const compact = text.trim();
  if (compact === '' || !BASE64.test(compact)) return { ok: false, reason: 'the message text is not base64' };
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(Buffer.from(compact, 'base64')));
  } catch {
    return { ok: false, reason: 'the decoded message is not UTF-8 JSON' };
  }
  return decodeEnvelope(json);
}

/** Checks a parsed envelope; never throws. */
export function decodeEnvelope(json: unknown): DecodeResult {
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) {
    const first = toFieldErrors('', parsed.error)[0];
    const batchId = (json as { cancellation?: { batchId?: unknown } } | null)?.cancellation?.batchId;
    return rejected(
      first ? `${first.path || '(message)'} ${first.message}` : 'invalid',
      typeof batchId === 'string' && batchIdSchema.safeParse(batchId).success ? batchId : undefined,
    );
  }
  const { batchId, cause, targets } = parsed.data.cancellation;
  const indexes = targets.map((t) =>
    t && typeof t === 'object' ? (t as { index?: unknown }).index : undefined,
  );
  const indexed = indexes.every((i) => i !== undefined);
  if (!indexed && indexes.some((i) => i !== undefined)) {
    return rejected('either every target has an index or none', batchId);
  }
  if (indexed && (!batchId || !indexes.every((i) => Number.isSafeInteger(i) && (i as number) >= 0))) {
    return rejected('indexed targets need a batchId and whole indexes', batchId);
  }
  const entries = targets.map((raw, position): MessageEntry => {
    const index = indexed ? (indexes[position] as number) : undefined;
    const { index: _index, ...fields } = raw as Record<string, unknown>;
    const result = targetSchema.safeParse(raw && typeof raw === 'object' ? fields : raw);
    if (result.success) return { target: result.data, index };
    const problems = toFieldErrors('', result.error).map((e) => `${e.path || 'target'} ${e.message}`);
    return { problem: `invalid target: ${problems.join('; ')}`, index };
  });
  return { ok: true, message: { batchId, cause, entries, indexed } };
}

/** One message text and the targets it carries, in order. */
export interface EncodedMessage {
  text: string;
  targets: (Target & { index: number })[];
}

function rejected(why: string, batchId: string | undefined): DecodeResult {
  return { ok: false, reason: `not a cancellation envelope: ${why}`, ...(batchId ? { batchId } : {}) };
}

/**
 * Splits indexed targets into message texts that each stay within the queue's limit.
 * @example
 * const messages = encodeMessages('b-1', 'cleanup', targets.map((target, index) => ({ ...target, index })));
 */
export function encodeMessages(
  batchId: string,
  cause: string | undefined,
  targets: readonly (Target & { index: number })[],
): EncodedMessage[] {
  const head = JSON.stringify({
    cancellation: { batchId, ...(cause === undefined ? {} : { cause }), targets: [] },
  });
  const messages: EncodedMessage[] = [];
  let chunk: string[] = [];
  let carried: (Target & { index: number })[] = [];
  let bytes = Buffer.byteLength(head);
  const flush = () => {
    if (chunk.length === 0) return;
    const json = `${head.slice(0, -4)}[${chunk.join(',')}]}}`;
    messages.push({ text: Buffer.from(json, 'utf8').toString('base64'), targets: carried });
    chunk = [];
    carried = [];
    bytes = Buffer.byteLength(head);
  };
  for (const target of targets) {
    const json = JSON.stringify(target);
    const size = Buffer.byteLength(json) + 1;
    if (chunk.length >= MAX_TARGETS_PER_MESSAGE || bytes + size > MAX_JSON_BYTES) flush();
    chunk.push(json);
    carried.push(target);
    bytes += size;
  }
  flush();
  return messages;
}
