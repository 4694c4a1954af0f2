import { describe, expect, it } from 'vitest';
import { metricsQuerySchema, terminateExecutionBodySchema } from '../../src/flyte/schemas.js';

const messagesOf = (result: { success: boolean; error?: { issues: { message: string }[] } }) =>
  result.error?.issues.map((i) => i.message) ?? [];

describe('metrics depth', () => {
  it('is optional', () => {
    // Act
    const query = metricsQuerySchema.parse({});

    // Assess
    expect(query).toStrictEqual({});
  });

  it.each([
    { given: '0', expected: 0 },
    { given: '5', expected: 5 },
    { given: '10', expected: 10 },
  ])('takes $given as $expected', ({ given, expected }) => {
    // Act
    const query = metricsQuerySchema.parse({ depth: given });

    // Assess
    expect(query).toStrictEqual({ depth: expected });
  });

  it.each([
    { given: '11', message: 'must be at most 10' },
    { given: '-1', message: 'must be a non-negative integer' },
    { given: '1.0', message: 'must be a non-negative integer' },
    { given: 'deep', message: 'must be a non-negative integer' },
    { given: '', message: 'must be a non-negative integer' },
  ])('refuses $given', ({ given, message }) => {
    // Act
    const result = metricsQuerySchema.safeParse({ depth: given });

    // Assess
    expect(messagesOf(result)).toStrictEqual([message]);
  });
});

describe('terminate body', () => {
  it.each([
    { case: 'absent', body: undefined },
    { case: 'empty', body: {} },
    { case: 'with a short cause', body: { cause: 'no longer needed' } },
    { case: 'with a 2048-character cause', body: { cause: 'c'.repeat(2048) } },
    { case: 'with tabs and line breaks', body: { cause: 'line one\r\n\tline two\n' } },
  ])('is accepted $case', ({ body }) => {
    // Act
    const result = terminateExecutionBodySchema.safeParse(body);

    // Assess
    expect(result).toStrictEqual({ success: true, data: body });
  });

  it.each([
    {
      case: 'a 2049-character cause',
      body: { cause: 'c'.repeat(2049) },
      path: 'cause',
      message: 'must be at most 2048 characters',
    },
    {
      case: 'a numeric cause',
      body: { cause: 5 },
      path: 'cause',
      message: 'Invalid input: expected string, received number',
    },
    ...['\u0000', '\u0007', '\u001b', '\u007f'].map((control) => ({
      case: `a cause with ${JSON.stringify(control)} (PostgreSQL text refuses NUL; none has a use here)`,
      body: { cause: `stop${control}now` },
      path: 'cause',
      message: 'must not contain control characters other than tab and line breaks',
    })),
    { case: 'an unknown field', body: { reason: 'x' }, path: '', message: 'Unrecognized key: "reason"' },
    { case: 'null', body: null, path: '', message: 'Invalid input: expected object, received null' },
  ])('is refused with $case', ({ body, path, message }) => {
    // Act
    const result = terminateExecutionBodySchema.safeParse(body);

    // Assess
    expect(result.error?.issues.map((i) => ({ path: i.path.join('.'), message: i.message }))).toStrictEqual([
      { path, message },
    ]);
  });
});
