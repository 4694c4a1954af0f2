/**
 * A buffered answer (src/http/buffered-response.ts) is a `Response` to everything that reads
 * it, and hands its bytes to a host only while nobody has read its body.
 */
import { describe, expect, it } from 'vitest';
import { bufferedBodyOf, bufferedResponse } from '../../src/http/buffered-response.js';

const json = new TextEncoder().encode('{"id":{"name":"a"}}');

describe('bufferedResponse', () => {
  it('is a Response with its status, headers and body, whichever way it is read', async () => {
    // Act
    const response = bufferedResponse(json, { status: 201, headers: { 'content-type': 'application/json' } });
    response.headers.set('x-request-id', 'r-1');

    // Assess
    expect(response).toBeInstanceOf(Response);
    expect([response.status, response.ok, response.headers.get('content-type')]).toEqual([
      201,
      true,
      'application/json',
    ]);
    expect(await response.clone().json()).toEqual({ id: { name: 'a' } });
    expect(new TextDecoder().decode(await new Response(response.body).arrayBuffer())).toBe(
      '{"id":{"name":"a"}}',
    );
    expect(response.headers.get('x-request-id')).toBe('r-1');
  });

  it('gives a host its bytes until the body is read, then no longer', async () => {
    // Prepare
    const response = bufferedResponse(json, { status: 200 });

    // Act
    const before = bufferedBodyOf(response);
    const text = await response.text();
    const after = bufferedBodyOf(response);

    // Assess
    expect(before).toBe(json);
    expect(text).toBe('{"id":{"name":"a"}}');
    expect(after).toBeUndefined();
    expect(bufferedBodyOf(new Response('plain'))).toBeUndefined();
  });
});
