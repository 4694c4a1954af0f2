import { describe, expect, it } from 'vitest';
import { correlate } from '../../src/shared/correlation.js';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const partsOf = (traceparent: string) => {
  const match = TRACEPARENT.exec(traceparent);
  if (!match) throw new Error(`not a traceparent: ${traceparent}`);
  return { traceId: match[1] as string, parentId: match[2] as string, flags: match[3] as string };
};

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

describe.each([
  { case: 'sampled', given: `00-${TRACE_ID}-${PARENT_ID}-01`, flags: '01' },
  { case: 'not sampled', given: `00-${TRACE_ID}-${PARENT_ID}-00`, flags: '00' },
  { case: 'with other flags and blanks around', given: ` 00-${TRACE_ID}-${PARENT_ID}-03 `, flags: '03' },
])('a valid traceparent, $case', ({ given, flags }) => {
  it('keeps the trace id and flags and gets a new parent id', () => {
    // Act
    const { traceparent } = correlate(new Headers({ traceparent: given }));

    // Assess
    expect(traceparent).toMatch(TRACEPARENT);
    const parts = partsOf(traceparent);
    expect(parts.traceId).toBe(TRACE_ID);
    expect(parts.flags).toBe(flags);
    expect(parts.parentId).not.toBe(PARENT_ID);
  });
});

describe('the parent id', () => {
  it('differs between two requests in the same trace', () => {
    // Prepare
    const headers = new Headers({ traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` });

    // Act
    const first = partsOf(correlate(headers).traceparent);
    const second = partsOf(correlate(headers).traceparent);

    // Assess
    expect(first.traceId).toBe(second.traceId);
    expect(first.parentId).not.toBe(second.parentId);
  });
});

describe.each([
  { case: 'an all-zero trace id', given: `00-${'0'.repeat(32)}-${PARENT_ID}-01` },
  { case: 'an unknown version', given: `01-${TRACE_ID}-${PARENT_ID}-01` },
  { case: 'a short trace id', given: `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01` },
  { case: 'a non-hex trace id', given: `00-${'g'.repeat(32)}-${PARENT_ID}-01` },
  { case: 'a short parent id', given: `00-${TRACE_ID}-${PARENT_ID.slice(1)}-01` },
  { case: 'a trailing extra field', given: `00-${TRACE_ID}-${PARENT_ID}-01-zz` },
  { case: 'garbage', given: 'hello' },
  { case: 'an empty value', given: '' },
])('a traceparent with $case', ({ given }) => {
  it('is replaced by a fresh trace, sampled', () => {
    // Act
    const { traceparent } = correlate(new Headers({ traceparent: given }));

    // Assess
    expect(traceparent).toMatch(TRACEPARENT);
    const parts = partsOf(traceparent);
    expect(parts.traceId).not.toBe(TRACE_ID);
    expect(parts.traceId).not.toMatch(/^0+$/);
    expect(parts.flags).toBe('01');
  });
});

describe('no traceparent', () => {
  it('starts a fresh sampled trace, different per request', () => {
    // Act
    const first = partsOf(correlate(new Headers()).traceparent);
    const second = partsOf(correlate(new Headers()).traceparent);

    // Assess
    expect(first.flags).toBe('01');
    expect(first.traceId).not.toBe(second.traceId);
    expect(first.traceId).not.toMatch(/^0+$/);
  });
});
