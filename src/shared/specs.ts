/**
 * @module
 * The upstream swaggers the app reads at run time — Flyte request normalization and the
 * OpenAPI answer schemas both use flyteadmin's — each read and parsed once, from `dist/specs/`
 * (copied there by the build: scripts/copy-specs.ts) or the repository's `specs/`.
 */
import { readJsonUp } from './find-up.js';

/** The spec files read at run time, relative to `specs/`. */
export const RUNTIME_SPECS = {
  flyte: 'flyteadmin.swagger.json',
  azureml: 'azureml-execution/execution.json',
} as const;

export type RuntimeSpec = keyof typeof RUNTIME_SPECS;

const parsed = new Map<RuntimeSpec, unknown>();

/**
 * The parsed spec; throws when the file is not found.
 * @example
 * const swagger = runtimeSpec('flyte') as { definitions: Record<string, unknown> };
 */
export function runtimeSpec(spec: RuntimeSpec): unknown {
  let value = parsed.get(spec);
  if (value === undefined) {
    const file = `specs/${RUNTIME_SPECS[spec]}`;
    value = readJsonUp(file);
    if (value === undefined) throw new Error(`${file} was not found above ${__dirname}`);
    parsed.set(spec, value);
  }
  return value;
}
