/**
 * grpc-gateway's marshaler selection as flyteadmin configures it. flyteadmin registers its snake_case,
 * strict JSON marshaler only under the MIME type `application/json`; the gateway picks the outbound
 * marshaler by an exact match of an `Accept` header line, else uses the inbound one, which comes from the
 * request `Content-Type` (parameters stripped, type lower-cased), else the default `*` marshaler
 * (lowerCamelCase, unknown fields discarded). So `Accept: *\/*` yields camelCase and a body sent with
 * `Content-Type: text/plain` is decoded leniently — surprising, and exactly what clients meet in production.
 * @module
 */
import type { Naming } from './proto-encode.js';

/** One registered marshaler. `binary` is flyteadmin's protobuf marshaler, which the emulator cannot speak. */
export type Marshaler =
  | { kind: 'json'; naming: Naming; discardUnknown: boolean }
  | { kind: 'binary'; mime: 'application/octet-stream' };

const SNAKE_JSON: Marshaler = { kind: 'json', naming: 'proto', discardUnknown: false };
const DEFAULT_JSON: Marshaler = { kind: 'json', naming: 'json', discardUnknown: true };
const BINARY: Marshaler = { kind: 'binary', mime: 'application/octet-stream' };

const REGISTERED: ReadonlyMap<string, Marshaler> = new Map<string, Marshaler>([
  ['application/json', SNAKE_JSON],
  ['application/octet-stream', BINARY],
]);

/** Go's `mime.ParseMediaType` reduced to what matters here: the lower-cased type, or undefined if malformed. */
function mediaType(value: string): string | undefined {
  const type = value.split(';')[0]?.trim().toLowerCase() ?? '';
  return /^[!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+$/.test(type) ? type : undefined;
}

/**
 * Picks the inbound (body decoding) and outbound (response encoding) marshalers for a request.
 * @param accept every `Accept` header line, unsplit (Node's `headersDistinct.accept`)
 * @param contentType every `Content-Type` header line
 * @example
 * chooseMarshalers(['application/json'], []).outbound; // { kind: 'json', naming: 'proto', … }
 * chooseMarshalers(['*\/*'], []).outbound;              // { kind: 'json', naming: 'json', … }
 */
export function chooseMarshalers(
  accept: readonly string[] = [],
  contentType: readonly string[] = [],
): { inbound: Marshaler; outbound: Marshaler } {
  let outbound: Marshaler | undefined;
  for (const value of accept) {
    outbound = REGISTERED.get(value);
    if (outbound) break;
  }
  let inbound: Marshaler | undefined;
  for (const value of contentType) {
    const type = mediaType(value);
    inbound = type === undefined ? undefined : REGISTERED.get(type);
    if (inbound) break;
  }
  inbound ??= DEFAULT_JSON;
  return { inbound, outbound: outbound ?? inbound };
}
