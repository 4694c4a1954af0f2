/**
 * @module
 * The shape of one catalog entry. Each operation is declared once — its id, REST method and
 * path, MCP tool (name, hints, and how its body becomes arguments), zod schemas for params,
 * query and body, idempotency, allow-list guard, upstream call and OpenAPI fragments — and every
 * surface derives from it: REST routes, MCP tools, batch cancellation, the OpenAPI document.
 * An operation sees only what it uses (`CallContext`), never the app's service container.
 */
import type { z } from 'zod';
import type { Role } from '../auth/roles.js';
import type { Settings } from '../config.js';
import type { JsonSchema } from '../shared/json-schema.js';
import type { Logger } from '../shared/log.js';
import type { ZipStaging } from '../staging/zip-staging.js';
import type { CallOptions, UpstreamClient, UpstreamResponse } from '../upstream/http-client.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type Capability = 'flyte' | 'azureml';

/** MCP tool annotations, spelled as in the capability specs. */
export interface ToolHints {
  readOnly: boolean;
  destructive: boolean;
  idempotent: boolean;
}

/** What the app provides to operations; its service container satisfies this. */
export interface OperationServices {
  readonly settings: Settings;
  /** The capability's upstream client; throws `UpstreamNotConfiguredError` without its settings. */
  upstream(capability: Capability): UpstreamClient;
  /** Project zip staging; throws `UpstreamNotConfiguredError` without storage settings. */
  staging(): ZipStaging;
}

/** What one call of an operation gets. */
export interface CallContext {
  settings: Settings;
  /** The operation's own upstream. */
  upstream: UpstreamClient;
  /** For every upstream request of this call. */
  options: CallOptions;
  log: Logger;
  /** The caller's own view of staging, made on first use (only an upload body needs it). */
  staging: () => ZipStaging;
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
 * Marks an operation whose body is an `UploadBody` (a definition and a project zip), which the
 * operation reads itself after its guard: a surface hands it over unread.
 */
export const UPLOAD = Symbol('upload body');

/** An operation's input as a surface has it: strings from a path and query, any body. */
export interface RawInput {
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
}

export interface OperationInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
}

/** The MCP arguments of an upload body, with the field paths its reader reports for each. */
export interface UploadArguments {
  definition: { argument: string; schema: z.ZodType; paths: string[] };
  /** The zip inline, base64-encoded; at most `mcpInlineZipLimit(settings)` decoded (config.ts). */
  zipBase64: { argument: string; paths: string[] };
  stagedZipId: { argument: string; schema: z.ZodType; paths: string[] };
}

export interface ToolDefinitionOf<P, Q, B> {
  name: string;
  title: string;
  hints: ToolHints;
  /** The whole JSON body as this one argument; by default each body field is an argument. */
  bodyArgument?: string;
  /** The arguments of an `UPLOAD` body. */
  upload?: UploadArguments;
  /** URI naming a binary answer (embedded as a resource), from the input it answered. */
  resourceUri?: (input: OperationInput<P, Q, B>, file: string) => string;
}

/** The operation's parts of the OpenAPI document that its schemas cannot give. */
export interface OpenApiFragment {
  /** The success answers (`responses` entries). */
  success: (settings: Settings) => Record<string, JsonSchema>;
  /** The request body of an `UPLOAD` operation (JSON bodies come from their schema). */
  requestBody?: (settings: Settings) => JsonSchema;
  /** The upstream can answer 409 (a run id already used). */
  conflict?: boolean;
  /**
   * What a parameter's zod schema cannot say (a rule kept in a refinement), merged over the
   * parameter derived from it; naming a parameter the operation does not have is an error.
   */
  parameters?: (settings: Settings) => Record<string, { description?: string; schema?: JsonSchema }>;
}

export interface OperationDefinition<P, Q, B> {
  /** The operation name in the capability spec (`createexecution`); also the function name and OpenAPI operationId. */
  operationId: string;
  capability: Capability;
  description: string;
  /** REST method and path exactly as the contract's `exposes.rest` gives them. */
  rest: { method: HttpMethod; path: string };
  /**
   * The upstream's own path for the same method (its casing, the params named as in
   * `rest.path`, no leading slash), served too when DROP_IN_ROUTES is on.
   */
  upstreamPath?: string;
  tool: ToolDefinitionOf<P, Q, B>;
  input: {
    params: InputSchema<P>;
    query: InputSchema<Q>;
    /** Absent: the operation takes no body, and one that is sent is ignored. */
    body?: InputSchema<B> | typeof UPLOAD;
    /**
     * Rewrites the raw input into the one spelling the schemas check, before they run (Flyte:
     * protojson's two field spellings and enum numbers); throws `ValidationError`.
     */
    normalize?: (raw: RawInput) => RawInput;
  };
  /** Safe to repeat: drives the retry policy. */
  idempotent: boolean;
  /** The app role an Entra ID caller needs (AUTH_MODE=entra), on every surface. */
  role: Role;
  /** Fills in, after validation, what a caller may leave out (a run id), so every surface sees it. */
  complete?: (input: OperationInput<P, Q, B>) => OperationInput<P, Q, B>;
  /** Allow-list check; throws `NotAllowedError`. Runs after validation, before the call. */
  guard?: (input: OperationInput<P, Q, B>, settings: Settings) => void;
  call: (input: OperationInput<P, Q, B>, ctx: CallContext) => Promise<UpstreamResponse>;
  openapi: OpenApiFragment;
}

/** A catalog entry with its types erased, as the surfaces see it. */
// biome-ignore lint/suspicious/noExplicitAny: heterogeneous list of typed entries
export type Operation = OperationDefinition<any, any, any>;

/**
 * Declares an operation; the identity function, there for type inference.
 * @example
 * export const getExecution = operation({ operationId: 'getexecution', ... });
 */
export function operation<P, Q, B>(definition: OperationDefinition<P, Q, B>): OperationDefinition<P, Q, B> {
  return definition;
}
