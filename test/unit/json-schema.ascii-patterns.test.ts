/**
 * Patterns in ASCII classes: `asciiPattern` spells `\d`, `\w`, `\s` and `\p{Cc}` out so that
 * validators outside JavaScript read them as the gateway does; each converted pattern accepts
 * and refuses the same strings as the original, and no pattern of the OpenAPI document or of
 * a schema converted for the MCP tools keeps a class escape.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { routeTable } from '../../src/app.js';
import { operations } from '../../src/catalog/index.js';
import { buildOpenApiDocument } from '../../src/openapi/document.js';
import { createServices } from '../../src/services.js';
import { asciiPattern, parametersOf, toJsonSchema, withAsciiPatterns } from '../../src/shared/json-schema.js';
import { unitSettings } from '../helpers/unit-factories.js';

/** A class escape JSON Schema validators outside JavaScript read differently (an escaped backslash is not one). */
const CLASS_ESCAPE = /(?<!\\)(?:\\\\)*\\[dDwWsSpP]/;

/** Strings that tell the classes apart: ASCII, Unicode letters and digits, spaces, controls. */
const SAMPLES = [
  '',
  'abc',
  'ABC_09',
  'a-b.c(d)',
  '٣',
  '１２',
  'é',
  'ß',
  'Ωmega',
  'a b',
  '\u00a0',
  '\u2028',
  '\u3000',
  '\ufeff',
  '\t\n\r',
  '\u0000',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u009f',
  '\u00a1',
  'x\u200by',
  '123',
  'eq(phase,RUNNING)',
  'eq(phase,RUNNING)+eq(a,b)',
  'eq(phase,RUNNING) eq(a,b)',
  'eq(phase,RUN\u0000NING)',
  'value_in(mode,0;3)',
];

const settings = unitSettings();
const services = createServices(settings);
const doc = buildOpenApiDocument(
  routeTable(operations, () => services),
  settings,
  'https://gw.example.net',
);

/** Every `pattern` (and `patternProperties` key) anywhere in a JSON value. */
function patternsOf(value: unknown, into: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) patternsOf(item, into);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'pattern' && typeof item === 'string') into.push(item);
      else if (key === 'patternProperties' && item && typeof item === 'object') {
        into.push(...Object.keys(item));
        patternsOf(Object.values(item), into);
      } else patternsOf(item, into);
    }
  }
  return into;
}

/** Every regex source the catalog's zod schemas carry, as zod writes them (before conversion). */
function originalPatterns(): { source: string; flags: string }[] {
  const found: { source: string; flags: string }[] = [];
  const raw = (schema: z.ZodType) =>
    patternsOf(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' })).map((source) => ({
      source,
      flags: /\\p\{/.test(source) ? 'u' : '',
    }));
  for (const op of operations) {
    for (const part of [op.input.params, op.input.query, op.input.body]) {
      if (part === undefined || typeof part === 'symbol') continue;
      found.push(...raw(typeof part === 'function' ? part(settings) : part));
    }
  }
  return found;
}

describe('asciiPattern', () => {
  it.each([
    ['^\\d+$', '^[0-9]+$'],
    ['^[a-zA-Z0-9][\\w-]{0,255}$', '^[a-zA-Z0-9][A-Za-z0-9_-]{0,255}$'],
    ['^[\\w.()-]*[\\w()-]$', '^[A-Za-z0-9_.()-]*[A-Za-z0-9_()-]$'],
    ['[^()+\\p{Cc}]*', '[^()+\\x00-\\x1F\\x7F-\\x9F]*'],
    ['\\p{Cc}', '[\\x00-\\x1F\\x7F-\\x9F]'],
    ['\\D\\W', '[^0-9][^A-Za-z0-9_]'],
    ['a\\.b\\\\d', 'a\\.b\\\\d'],
    ['\\u{41}', '\\u0041'],
  ])('spells %s as %s', (original, ascii) => {
    // Act
    const converted = asciiPattern(original);

    // Assess
    expect(converted).toBe(ascii);
    expect(CLASS_ESCAPE.test(converted)).toBe(false);
  });

  it.each(['\\bword', '[\\D]', '\\p{L}', '[\\P{Cc}]'])(
    'refuses %s, which has no ASCII spelling',
    (original) => {
      // Act
      const convert = () => asciiPattern(original);

      // Assess
      expect(convert).toThrow(/pattern/);
    },
  );

  it('keeps what each pattern of the catalog and the document accepts and refuses', () => {
    // Prepare
    const originals = [
      ...originalPatterns(),
      { source: '^\\s*\\w+\\s*$', flags: '' },
      { source: '(?![\\t\\n\\r])\\p{Cc}', flags: 'u' },
    ];

    // Act
    const disagreements = originals.flatMap(({ source, flags }) => {
      const before = new RegExp(source, flags);
      const after = new RegExp(asciiPattern(source), 'u');
      return SAMPLES.filter((s) => before.test(s) !== after.test(s)).map(
        (s) => `${source} on ${JSON.stringify(s)}`,
      );
    });

    // Assess
    expect(originals.length).toBeGreaterThan(5);
    expect(disagreements).toStrictEqual([]);
  });
});

describe('patterns in the document and the tool schemas', () => {
  it('are ASCII everywhere in the OpenAPI document', () => {
    // Act
    const patterns = patternsOf(doc);

    // Assess
    expect(patterns.length).toBeGreaterThan(5);
    expect(patterns.filter((p) => CLASS_ESCAPE.test(p))).toStrictEqual([]);
    for (const pattern of patterns) expect(() => new RegExp(pattern, 'u')).not.toThrow();
  });

  it('are ASCII in the JSON Schema of every operation input, in both dialects', () => {
    // Act
    const patterns = operations.flatMap((op) =>
      [op.input.params, op.input.query, op.input.body].flatMap((part) => {
        if (part === undefined || typeof part === 'symbol') return [];
        const schema = typeof part === 'function' ? part(settings) : part;
        return [
          ...patternsOf(toJsonSchema(schema)),
          ...patternsOf(toJsonSchema(schema, { target: 'draft-7' })),
        ];
      }),
    );

    // Assess
    expect(patterns.filter((p) => CLASS_ESCAPE.test(p))).toStrictEqual([]);
  });

  it('converts pattern keywords and patternProperties keys, not properties named pattern', () => {
    // Act
    const converted = withAsciiPatterns({
      properties: { pattern: { type: 'string', pattern: '\\d' } },
      patternProperties: { '^\\w+$': { pattern: '\\s' } },
    });

    // Assess
    expect(converted).toStrictEqual({
      properties: { pattern: { type: 'string', pattern: '[0-9]' } },
      patternProperties: { '^[A-Za-z0-9_]+$': { pattern: `[${asciiPattern('\\s').slice(1, -1)}]` } },
    });
  });
});

describe('numeric parameters', () => {
  it.each([
    [
      'digits turned into a bounded integer',
      z.string().regex(/^\d+$/).transform(Number).pipe(z.number().int().min(1).max(50)).default(10),
    ],
    ['a number or digits', z.union([z.number().int().min(1).max(50), z.string().regex(/^\d+$/)]).default(10)],
    ['a coerced integer', z.coerce.number().int().min(1).max(50).default(10)],
  ])('documents %s as an integer with its bounds', (_what, schema) => {
    // Act
    const [parameter] = parametersOf(z.object({ limit: schema }), 'query');

    // Assess
    expect(parameter?.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 50, default: 10 });
  });

  it('puts the floor of a digits-only value at 0', () => {
    // Act
    const [parameter] = parametersOf(
      z.object({
        depth: z.string().regex(/^\d+$/).transform(Number).pipe(z.number().int().max(10)).optional(),
      }),
      'query',
    );

    // Assess
    expect(parameter?.schema).toStrictEqual({ type: 'integer', minimum: 0, maximum: 10 });
  });
});

describe('patterns in the MCP tool schemas', () => {
  it('are ASCII in every tool input schema tools/list shows', async () => {
    // Prepare
    const { deriveTools } = await import('../../src/mcp/tools.js');

    // Act
    const patterns = deriveTools(operations, settings).flatMap((tool) =>
      patternsOf(z.toJSONSchema(tool.inputSchema, { target: 'draft-7', unrepresentable: 'any' })),
    );

    // Assess
    expect(patterns.length).toBeGreaterThan(5);
    expect(patterns.filter((p) => CLASS_ESCAPE.test(p))).toStrictEqual([]);
  });
});
