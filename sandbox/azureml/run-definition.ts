/**
 * Reading a `RunDefinition` the way the service binds it: property names case-insensitively (the v1 SDK
 * sends `SnapshotId`/`Configuration`, the swagger says `snapshotId`/`configuration`), unknown keys
 * (`TargetDetails`, `TelemetryValues`, …) ignored, the object itself kept as received so tests can compare
 * it. Only what the emulator acts on is checked: that it is a JSON object, and `snapshotId` where needed.
 * @module
 */
import { UUID_PATTERN } from './constants.js';
import { validationError } from './errors.js';

export type JsonObject = Record<string, unknown>;

/** The fields the emulator reads, already resolved case-insensitively. */
export interface RunDefinitionFields {
  snapshotId?: string;
  parentRunId?: string;
  runType?: string;
  /** `configuration.target`: the compute name. */
  target?: string;
  /** `configuration.script`. */
  script?: string;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The value of `name` in `object`, matching the key case-insensitively; the last matching key wins, as a
 * streaming JSON binder would leave it.
 * @example pick({ SnapshotId: 'a' }, 'snapshotId') // 'a'
 */
function pick(object: JsonObject, name: string): unknown {
  const wanted = name.toLowerCase();
  let found: unknown;
  for (const [key, value] of Object.entries(object)) if (key.toLowerCase() === wanted) found = value;
  return found;
}

function optionalString(object: JsonObject, name: string, target: string): string | undefined {
  const value = pick(object, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw validationError(`'${target}' must be a string.`, target);
  return value;
}

/**
 * Parses run-definition JSON text; `source` names the input in messages (`definition`, `runDefinitionFile`).
 * @throws AzureMlError 400 for empty input, bad JSON or a non-object
 */
export function parseRunDefinition(text: string, source: string): JsonObject {
  if (text.trim() === '') throw validationError(`A non-empty request body is required (${source}).`, source);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw validationError(`${source} is not valid JSON: ${(error as Error).message}`, source);
  }
  if (!isObject(value)) throw validationError(`${source} must be a JSON object (a RunDefinition).`, source);
  return value;
}

/**
 * Reads the fields the emulator uses; `requireSnapshot` makes `snapshotId` mandatory (snapshotrun).
 * @throws AzureMlError 400 when a read field has the wrong type, or `snapshotId` is missing or not a GUID
 */
export function readFields(definition: JsonObject, requireSnapshot: boolean): RunDefinitionFields {
  const fields: RunDefinitionFields = {};
  const snapshotId = optionalString(definition, 'snapshotId', 'snapshotId');
  if (snapshotId !== undefined && !UUID_PATTERN.test(snapshotId))
    throw validationError(`The snapshotId '${snapshotId}' is not a valid GUID.`, 'snapshotId');
  if (requireSnapshot && !snapshotId)
    throw validationError('snapshotId is required to start a run from a snapshot.', 'snapshotId');
  if (snapshotId !== undefined) fields.snapshotId = snapshotId;
  const parentRunId = optionalString(definition, 'parentRunId', 'parentRunId');
  if (parentRunId !== undefined) fields.parentRunId = parentRunId;
  const runType = optionalString(definition, 'runType', 'runType');
  if (runType !== undefined) fields.runType = runType;
  const configuration = pick(definition, 'configuration');
  if (configuration !== undefined && configuration !== null) {
    if (!isObject(configuration))
      throw validationError("'configuration' must be an object.", 'configuration');
    const target = optionalString(configuration, 'target', 'configuration.target');
    if (target !== undefined) fields.target = target;
    const script = optionalString(configuration, 'script', 'configuration.script');
    if (script !== undefined) fields.script = script;
  }
  return fields;
}
