import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { domainSchema, executionNameSchema, projectSchema } from '../../src/flyte/schemas.js';

const messagesOf = (schema: z.ZodType, value: unknown) => {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error.issues.map((issue) => issue.message);
};

const NAME_RULE =
  'must match ^[a-z][a-z0-9-]*$ (lower-case letter first, then lower-case letters, digits, -)';

describe.each(['a', 'run-1', 'etl-2024-01-01', 'abc123', 'x'.repeat(63)])('execution name %j', (name) => {
  it('is accepted as given', () => {
    // Act
    const result = executionNameSchema.safeParse(name);

    // Assess
    expect(result).toStrictEqual({ success: true, data: name });
  });
});

describe.each([
  { case: 'upper case', name: 'MyRun', messages: [NAME_RULE] },
  { case: 'a leading digit', name: '1abc', messages: [NAME_RULE] },
  { case: 'an underscore', name: 'a_b', messages: [NAME_RULE] },
  { case: '64 characters', name: 'x'.repeat(64), messages: ['must be at most 63 characters'] },
  { case: 'a path traversal', name: '../x', messages: [NAME_RULE] },
  { case: 'an encoded slash', name: '..%2F', messages: [NAME_RULE] },
  { case: 'a NUL', name: 'a\u0000b', messages: [NAME_RULE] },
  { case: 'an inner newline', name: 'a\nb', messages: [NAME_RULE] },
  { case: 'a trailing newline', name: 'ab\n', messages: [NAME_RULE] },
  { case: 'a dot', name: 'a.b', messages: [NAME_RULE] },
  { case: 'an empty string', name: '', messages: ['must not be empty', NAME_RULE] },
])('execution name with $case', ({ name, messages }) => {
  it('is refused', () => {
    // Act
    const result = messagesOf(executionNameSchema, name);

    // Assess
    expect(result).toStrictEqual(messages);
  });
});

describe.each([
  { label: 'project', schema: projectSchema },
  { label: 'domain', schema: domainSchema },
])('$label id', ({ schema }) => {
  it.each(['flytesnacks', 'development', 'a', '0', 'proj-1', '1proj', 'p'.repeat(63)])(
    'accepts %j',
    (value) => {
      // Act
      const result = schema.safeParse(value);

      // Assess
      expect(result).toStrictEqual({ success: true, data: value });
    },
  );

  it.each([
    { value: 'Flytesnacks', rule: 'label' },
    { value: '-a', rule: 'label' },
    { value: 'a-', rule: 'label' },
    { value: 'a_b', rule: 'label' },
    { value: 'a.b', rule: 'label' },
    { value: '../x', rule: 'label' },
    { value: 'a b', rule: 'label' },
    { value: 'p'.repeat(64), rule: 'length' },
    { value: '', rule: 'empty' },
  ])('refuses $value ($rule rule)', ({ value, rule }) => {
    // Act
    const result = messagesOf(schema, value);

    // Assess
    const expected = {
      label: /^must be a DNS-1123 label/,
      length: /^must be at most 63 characters$/,
      empty: /^must not be empty$/,
    }[rule] as RegExp;
    expect(result[0]).toMatch(expected);
  });

  it('refuses a non-string', () => {
    // Act
    const result = messagesOf(schema, 42);

    // Assess
    expect(result).toStrictEqual(['Invalid input: expected string, received number']);
  });
});
