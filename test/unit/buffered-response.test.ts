/**
 * A buffered answer (src/http/buffered-response.ts) is a `Response` to everything that reads
 * it, and hands its bytes to a host only while nobody has read its body; its headers, as a
 * plain record only while nobody has made a `Headers` of them.
 */
import { describe, expect, it } from 'vitest';
import {
  addHeaders,
  bufferedBodyOf,
  bufferedResponse,
  plainHeadersOf,
} from '../../src/http/buffered-response.js';

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
    const response = bufferedResponse(json, { status: 200, headers: {} });

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

  it('keeps added headers in its record until its headers are read, then in its Headers', () => {
    // Prepare
    const response = bufferedResponse(json, { status: 200, headers: { 'content-type': 'application/json' } });
    const plain = new Response('plain', { headers: { 'content-type': 'text/plain' } });

    // Act
    addHeaders(response, { 'x-request-id': 'r-2', traceparent: '00-a-b-01' });
    addHeaders(plain, { 'x-request-id': 'r-3' });
    const record = plainHeadersOf(response);
    const readOnce = response.headers.get('x-request-id');
    addHeaders(response, { 'x-later': 'yes' });

    // Assess: the record had everything; once read, additions go to (and stay in) the Headers.
    expect(record).toEqual({
      'content-type': 'application/json',
      'x-request-id': 'r-2',
      traceparent: '00-a-b-01',
    });
    expect(readOnce).toBe('r-2');
    expect(plainHeadersOf(response)).toBeUndefined();
    expect(response.headers.get('x-later')).toBe('yes');
    expect(response.headers.get('traceparent')).toBe('00-a-b-01');
    expect(plainHeadersOf(plain)).toBeUndefined();
    expect(plain.headers.get('x-request-id')).toBe('r-3');
  });
});
