/**
 * @module
 * The shape of one catalog entry. Each operation is declared once — contract name, REST
 * method and path, MCP tool name and hints, zod schemas for params, query and body, its
 * idempotency, an optional allow-list guard and the upstream call — and every surface
 * (Functions registrations, the local host, contract tests, later MCP and OpenAPI) derives
 * from it.
 */
import type { z } from 'zod';
import type { Settings } from '../config.js';
import type { Correlation } from '../http/correlation.js';
import type { Logger } from '../log.js';
import type { Runtime } from '../runtime.js';
import type { UpstreamResponse } from '../upstream/http-client.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** MCP tool annotations, spelled as in the capability specs. */
export interface ToolHints {
  readOnly: boolean;
  destructive: boolean;
  idempotent: boolean;
}

export interface OperationContext {
  runtime: Runtime;
  correlation: Correlation;
  log: Logger;
  signal?: AbortSignal;
  /** `false`: one upstream attempt, no inline retry (batch cancellation retries through its queue). */
  retry?: false;
}

/** A schema, or one built from settings (for limits that are settings). */
export type InputSchema<T> = z.ZodType<T, unknown> | ((settings: Settings) => z.ZodType<T, unknown>);

// biome-ignore lint/suspicious/noExplicitAny: one cache for factories of every schema type
const built = new WeakMap<(settings: Settings) => z.ZodType<any, unknown>, WeakMap<Settings, z.ZodType>>();

/**
 * The schema itself, for the given settings. A factory runs once per settings object, so a
 * request never pays for building (and zod for compiling) a schema.
 */
export function resolveSchema<T>(schema: InputSchema<T>, settings: Settings): z.ZodType<T, unknown> {
  if (typeof schema !== 'function') return schema;
  const perSettings = built.get(schema) ?? new WeakMap<Settings, z.ZodType>();
  built.set(schema, perSettings);
  const resolved = (perSettings.get(settings) as z.ZodType<T, unknown> | undefined) ?? schema(settings);
  perSettings.set(settings, resolved);
  return resolved;
}

/**
 * Marks an operation that reads its own body as a stream (multipart uploads): the handler
 * validates params and query, runs the guard, then hands over the untouched stream.
 */
export const STREAMED_BODY = Symbol('streamed body');

export interface StreamedBody {
  stream: ReadableStream<Uint8Array> | null;
  headers: Headers;
}

export interface OperationInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
}

export interface OperationDefinition<P, Q, B> {
  /** The operation name in the capability spec (`createexecution`); also the function name. */
  seed: string;
  capability: 'flyte' | 'azureml';
  description: string;
  /** REST method and path exactly as the contract's `exposes.rest` gives them. */
  rest: { method: HttpMethod; path: string };
  tool: { name: string; title: string; hints: ToolHints };
  input: {
    params: InputSchema<P>;
    query: InputSchema<Q>;
    /** Absent: the operation takes no body, and one that is sent is ignored. */
    body?: InputSchema<B> | typeof STREAMED_BODY;
  };
  /** Safe to repeat: drives the retry policy. */
  idempotent: boolean;
  /** Allow-list check; throws `NotAllowedError`. Runs after validation, before the call. */
  guard?: (input: OperationInput<P, Q, B>, ctx: OperationContext) => void;
  call: (input: OperationInput<P, Q, B>, ctx: OperationContext) => Promise<UpstreamResponse>;
}

/** A catalog entry with its types erased, as the surfaces see it. */
// biome-ignore lint/suspicious/noExplicitAny: heterogeneous list of typed entries
export type Operation = OperationDefinition<any, any, any>;

/**
 * Declares an operation; the identity function, there for type inference.
 * @example
 * export const getExecution = operation({ seed: 'getexecution', ... });
 */
export function operation<P, Q, B>(definition: OperationDefinition<P, Q, B>): OperationDefinition<P, Q, B> {
  return definition;
}
