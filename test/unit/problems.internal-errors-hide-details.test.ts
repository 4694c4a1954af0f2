import { describe, expect, it } from 'vitest';
import { problemResponse, toProblem } from '../../src/problems/to-problem.js';

const BARE_500 = {
  type: '/problems/internal-error',
  title: 'Internal error',
  status: 500,
  detail: 'The gateway failed to handle the request. Quote the correlation id when reporting it.',
  correlationId: 'req-9',
};

describe.each([
  { case: 'a plain Error', thrown: () => new Error('secret token abc') },
  { case: 'a TypeError', thrown: () => new TypeError('secret token abc') },
  {
    case: 'an Error with a cause',
    thrown: () => new Error('outer', { cause: new Error('secret token abc') }),
  },
  { case: 'a thrown string', thrown: () => 'secret token abc' },
  {
    case: 'an error-like object',
    thrown: () => ({ message: 'secret token abc', stack: 'at secret token abc', status: 418, type: 'x' }),
  },
  { case: 'undefined', thrown: () => undefined },
])('$case', ({ thrown }) => {
  it('becomes a bare 500 with the correlation id and nothing else', () => {
    // Act
    const body = toProblem(thrown(), 'req-9');

    // Assess
    expect(body).toStrictEqual(BARE_500);
  });

  it('leaves no message or stack in the response text', async () => {
    // Act
    const response = problemResponse(thrown(), 'req-9', undefined, { 'x-request-id': 'req-9' });
    const text = await response.text();

    // Assess
    expect(response.status).toBe(500);
    expect(JSON.parse(text)).toStrictEqual(BARE_500);
    expect(text).not.toContain('secret');
    expect(text).not.toContain('token abc');
    expect(text).not.toContain('stack');
    expect(text).not.toMatch(/\bat /);
    expect([...response.headers.keys()].sort()).toStrictEqual(['content-type', 'x-request-id']);
  });
});
