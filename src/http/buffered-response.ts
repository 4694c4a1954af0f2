/**
 * @module
 * Answers whose whole body is already in memory (a small upstream answer read at once). Node's
 * `new Response(bytes)` builds a web stream for the body at once, which costs more than
 * everything else the gateway does with a 2 KiB answer (≈16 µs against ≈2 µs with no body).
 * `bufferedResponse` returns a `Response` (its prototype, status and headers) that makes the
 * real one only when its body is asked for; a host takes the bytes instead (`bufferedBodyOf`)
 * and writes them in one go, and the frame logs the request at once. @hono/node-server's
 * lightweight `Response` does the same for the same reason.
 */

class BufferedResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly type = 'default';
  readonly url = '';
  readonly redirected = false;
  readonly content: Uint8Array;
  /** The real `Response`, made the first time the body is asked for. */
  full: Response | undefined;

  constructor(bytes: Uint8Array, init: ResponseInit) {
    this.content = bytes;
    this.status = init.status ?? 200;
    this.statusText = init.statusText ?? '';
    this.headers = new Headers(init.headers);
  }

  get ok(): boolean {
    return this.status >= 200 && this.status <= 299;
  }

  private response(): Response {
    this.full ??= new Response(this.content, {
      status: this.status,
      statusText: this.statusText,
      headers: this.headers,
    });
    return this.full;
  }

  get body() {
    return this.response().body;
  }
  get bodyUsed(): boolean {
    return this.full?.bodyUsed ?? false;
  }
  arrayBuffer() {
    return this.response().arrayBuffer();
  }
  bytes() {
    return (this.response() as Response & { bytes(): Promise<Uint8Array> }).bytes();
  }
  blob() {
    return this.response().blob();
  }
  formData() {
    return this.response().formData();
  }
  json() {
    return this.response().json();
  }
  text() {
    return this.response().text();
  }
  clone() {
    return this.response().clone();
  }
}
Object.setPrototypeOf(BufferedResponse.prototype, Response.prototype);

/**
 * @example
 * const response = bufferedResponse(bytes, { status: 200, headers: { 'content-type': 'application/json' } });
 */
export function bufferedResponse(bytes: Uint8Array, init: ResponseInit): Response {
  return new BufferedResponse(bytes, init) as unknown as Response;
}

/** The bytes of a buffered answer whose body nobody has read; otherwise undefined. */
export function bufferedBodyOf(response: Response): Uint8Array | undefined {
  if (!(response instanceof BufferedResponse)) return undefined;
  return response.bodyUsed ? undefined : response.content;
}
