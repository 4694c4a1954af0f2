import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  encodeMessages,
  MAX_MESSAGE_TEXT_BYTES,
  MAX_TARGETS_PER_MESSAGE,
} from '../../src/cancellations/messages.js';
import { retryDelaySeconds } from '../../src/cancellations/retry-plan.js';
import { chunkKey } from '../../src/cancellations/store.js';
import { azuremlTarget, flyteTarget, producerText, type TestTarget } from '../helpers/cancellations.js';

const indexed = (
  n: number,
  make: (i: number) => TestTarget = (i) => azuremlTarget(`exp_${'x'.repeat(200)}_${i}`),
) => Array.from({ length: n }, (_, index) => ({ ...make(index), index }));

describe('encodeMessages', () => {
  it('splits a batch into texts within the 64 KiB queue limit, in order, losing nothing', () => {
    // Prepare: ~330 bytes of JSON per target and a long cause
    const targets = indexed(1000);

    // Act
    const messages = encodeMessages('b-1', 'c'.repeat(2048), targets);

    // Assess
    expect(messages.length).toBeGreaterThan(1000 / MAX_TARGETS_PER_MESSAGE);
    for (const { text } of messages)
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_MESSAGE_TEXT_BYTES);
    const decoded = messages.map(({ text }) => decodeMessage(text));
    const indexes = decoded.flatMap((d) => (d.ok ? d.message.entries.map((e) => e.index) : []));
    expect(indexes).toStrictEqual(targets.map((t) => t.index));
    expect(decoded.every((d) => d.ok && d.message.batchId === 'b-1' && d.message.indexed)).toBe(true);
    // Each message records into its own chunk row, keyed by its first index.
    expect(decoded.map((d) => d.ok && d.message.chunk)).toStrictEqual(
      messages.map((m) => chunkKey(m.targets[0]?.index ?? -1)),
    );
    expect(messages.flatMap((m) => m.targets)).toStrictEqual(targets);
  });

  it('names the given chunk on every message of a retry', () => {
    // Act
    const messages = encodeMessages('b-1', undefined, indexed(300).slice(7), chunkKey(0));

    // Assess
    expect(messages.map((m) => m.chunk)).toStrictEqual(messages.map(() => 'c0000000'));
    expect(
      messages.every(
        ({ text }) => (decodeMessage(text) as { message: { chunk: string } }).message.chunk === 'c0000000',
      ),
    ).toBe(true);
  });

  it('caps a message at MAX_TARGETS_PER_MESSAGE small targets', () => {
    // Act
    const messages = encodeMessages(
      'b-1',
      undefined,
      indexed(600, (i) => flyteTarget(`n-${i}`)),
    );

    // Assess
    expect(MAX_TARGETS_PER_MESSAGE).toBe(128);
    expect(messages.map((m) => m.targets.length)).toStrictEqual([128, 128, 128, 128, 88]);
  });
});

describe('decodeMessage', () => {
  it('reads a producer message: no indexes, valid targets kept, a bad one reported alone', () => {
    // Prepare
    const text = producerText({ cause: 'why', targets: [flyteTarget('a'), { kind: 'flyte', project: 'p' }] });

    // Act
    const result = decodeMessage(text);

    // Assess
    expect(result).toStrictEqual({
      ok: true,
      message: {
        batchId: undefined,
        cause: 'why',
        indexed: false,
        entries: [
          { target: flyteTarget('a'), index: undefined },
          {
            problem: 'invalid target: domain is required (string); name is required (string)',
            index: undefined,
            kind: 'flyte',
            identity: { project: 'p' },
          },
        ],
      },
    });
  });

  it('fails a null, a number, a string or a list in place of a target alone, and keeps the good one', () => {
    // Prepare
    const text = producerText({ targets: [null, flyteTarget('a'), 3, 'x', [flyteTarget('b')]] });

    // Act
    const result = decodeMessage(text);

    // Assess
    expect(result.ok).toBe(true);
    const entries = result.ok ? result.message.entries : [];
    expect(entries.map((e) => ('problem' in e ? e.problem : e.target))).toStrictEqual([
      'invalid target: target must be an object, not null',
      flyteTarget('a'),
      'invalid target: target must be an object, not number',
      'invalid target: target must be an object, not string',
      'invalid target: target must be an object, not a list',
    ]);
    expect(
      entries.filter((e) => 'problem' in e).map((e) => 'problem' in e && [e.kind, e.identity]),
    ).toStrictEqual(Array(4).fill(['flyte', {}]));
  });

  it("reads the gateway's marks on indexed targets (retry attempt, copy of an index and its chunk)", () => {
    // Prepare: a copy whose first copy went into the previous message
    const targets = Array.from({ length: 130 }, (_, index) =>
      index === 129 ? { ...flyteTarget('n-0'), index, sameAs: 0 } : { ...flyteTarget(`n-${index}`), index },
    );
    const [, second] = encodeMessages('b-1', undefined, targets);
    const retry = encodeMessages(
      'b-1',
      undefined,
      [{ ...flyteTarget('n-5'), index: 5, attempt: 2 }],
      'c0000000',
    );

    // Act
    const copy = decodeMessage(second?.text ?? '');
    const again = decodeMessage(retry[0]?.text ?? '');

    // Assess
    expect(copy.ok && copy.message.entries.at(-1)).toStrictEqual({
      target: flyteTarget('n-0'),
      index: 129,
      sameAs: 0,
      in: 'c0000000',
    });
    expect(again.ok && again.message.entries).toStrictEqual([
      { target: flyteTarget('n-5'), index: 5, attempt: 2 },
    ]);
  });

  it.each([
    { name: 'not base64', text: 'hello world', reason: 'the message text is not base64' },
    { name: 'empty', text: '', reason: 'the message text is not base64' },
    {
      name: 'base64 of bytes that are not UTF-8',
      text: Buffer.from([0xff, 0xfe, 0x7b]).toString('base64'),
      reason: 'the decoded message is not UTF-8 JSON',
    },
    {
      name: 'base64 of text that is not JSON',
      text: Buffer.from('cancel everything').toString('base64'),
      reason: 'the decoded message is not UTF-8 JSON',
    },
    {
      name: 'JSON without the envelope',
      text: Buffer.from(JSON.stringify({ targets: [flyteTarget('a')] })).toString('base64'),
      reason: 'not a cancellation envelope: cancellation is required (object)',
    },
    {
      name: 'an envelope with a field beside it (shadowing trigger metadata)',
      text: Buffer.from(JSON.stringify({ id: 'x', cancellation: { targets: [flyteTarget('a')] } })).toString(
        'base64',
      ),
      reason: 'not a cancellation envelope: id is not a known field',
    },
    {
      name: 'some targets indexed, some not',
      text: producerText({ batchId: 'b', targets: [{ ...flyteTarget('a'), index: 0 }, flyteTarget('b')] }),
      reason: 'not a cancellation envelope: either every target has an index or none',
      batchId: 'b',
    },
    {
      name: 'a chunk on a producer message',
      text: producerText({ batchId: 'b', chunk: 'c0000000', targets: [flyteTarget('a')] }),
      reason: 'not a cancellation envelope: a chunk needs indexed targets',
      batchId: 'b',
    },
    {
      name: 'indexed targets without a batchId',
      text: producerText({ targets: [{ ...flyteTarget('a'), index: 0 }] }),
      reason: 'not a cancellation envelope: indexed targets need a batchId, a chunk and whole indexes',
    },
    {
      name: 'a batchId that cannot be a table key',
      text: producerText({ batchId: 'a/b', targets: [flyteTarget('a')] }),
      reason: expect.stringMatching(/^not a cancellation envelope: cancellation.batchId must be 1-64/),
    },
  ])('rejects $name', ({ text, reason, batchId }) => {
    // Act
    const result = decodeMessage(text);

    // Assess
    expect(result).toStrictEqual({ ok: false, reason, ...(batchId ? { batchId } : {}) });
  });
});

describe('retryDelaySeconds', () => {
  it.each([
    { attempts: 1, random: 0, retryAfterMs: undefined, expected: 1 },
    { attempts: 2, random: 0.5, retryAfterMs: undefined, expected: 2 },
    { attempts: 4, random: 1, retryAfterMs: undefined, expected: 10 },
    { attempts: 10, random: 0.5, retryAfterMs: undefined, expected: 60 },
    { attempts: 1, random: 0.5, retryAfterMs: 7_500, expected: 8 },
    { attempts: 3, random: 0.5, retryAfterMs: 1_000, expected: 4 },
  ])(
    'waits $expected s after $attempts attempts (Retry-After $retryAfterMs ms)',
    ({ attempts, random, retryAfterMs, expected }) => {
      expect(retryDelaySeconds(attempts, retryAfterMs, () => random)).toBe(expected);
    },
  );
});
