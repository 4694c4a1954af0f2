/**
 * @module
 * Answers whose whole body is already in memory (a small upstream answer read at once). Node's
 * `new Response(bytes)` builds a web stream for the body at once, which costs more than
 * everything else the gateway does with a 2 KiB answer (≈16 µs against ≈2 µs with no body).
 * `bufferedResponse` returns a `Response` (its prototype, status and headers) that makes the
 * real one only when its body is asked for; a host takes the bytes instead (`bufferedBodyOf`)
 * and writes them in one go, and the frame logs the request at once. @hono/node-server's
 * lightweight `Response` does the same for the same reason. Its headers stay a plain record
 * until someone asks for `headers`: the frame adds its own (`addHeaders`) and the local host
 * writes them (`plainHeadersOf`) without building a `Headers`, which validates every name and
 * value again (≈6 µs a request, with the copy back).
 */

class BufferedResponse {
  readonly status: number;
  readonly statusText: string;
  /** Lower-case names; the headers until `headers` is first read, then `made` is. */
  readonly fields: Record<string, string>;
  made: Headers | undefined;
  readonly type = 'default';
  readonly url = '';
  readonly redirected = false;
  readonly content: Uint8Array;
  /** The real `Response`, made the first time the body is asked for. */
  full: Response | undefined;

  constructor(bytes: Uint8Array, init: BufferedInit) {
    this.content = bytes;
    this.status = init.status;
    this.statusText = '';
    this.fields = { ...init.headers };
  }

  get headers(): Headers {
    this.made ??= new Headers(this.fields);
    return this.made;
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
/**
 * Whether BufferedResponse is linked to `Response` yet: done on first use, not at load, because
 * touching the global `Response` loads Node's built-in fetch (~25 ms of every cold start,
 * including the queue trigger's, which never answers HTTP).
 */
let linkedToResponse = false;

/** Status and headers of a buffered answer; header names lower-case. */
export interface BufferedInit {
  status: number;
  headers: Record<string, string>;
}

/**
 * @example
 * const response = bufferedResponse(bytes, { status: 200, headers: { 'content-type': 'application/json' } });
 */
export function bufferedResponse(bytes: Uint8Array, init: BufferedInit): Response {
  if (!linkedToResponse) {
    Object.setPrototypeOf(BufferedResponse.prototype, Response.prototype);
    linkedToResponse = true;
  }
  return new BufferedResponse(bytes, init) as unknown as Response;
}

/**
 * Sets `headers` (lower-case names) on any answer: on a buffered one's record while no
 * `Headers` has been made of it, else on its `headers`.
 */
export function addHeaders(response: Response, headers: Record<string, string>): void {
  if (response instanceof BufferedResponse && !response.made) Object.assign(response.fields, headers);
  else for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
}

/** A buffered answer's headers as a plain record, while nobody has made a `Headers` of them. */
export function plainHeadersOf(response: Response): Record<string, string> | undefined {
  return response instanceof BufferedResponse && !response.made ? response.fields : undefined;
}

/** The bytes of a buffered answer whose body nobody has read; otherwise undefined. */
export function bufferedBodyOf(response: Response): Uint8Array | undefined {
  if (!(response instanceof BufferedResponse)) return undefined;
  return response.bodyUsed ? undefined : response.content;
}
