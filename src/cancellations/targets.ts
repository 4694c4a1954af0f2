/**
 * @module
 * What a batch cancels: Flyte executions and Azure ML runs, each spelled with the MCP
 * argument names (`project`, `runId`, ...) and checked by the same field schemas and
 * allow-lists as the single-run operation it becomes (`terminateexecution`,
 * `microsoftazurerunscancelrunwithuri`). A target turns into that operation's validated
 * input, so the batch path calls the catalog exactly as REST and MCP do.
 */
import { z } from 'zod';
import {
  experimentNameSchema,
  resourceGroupSchema,
  runIdSchema,
  subscriptionIdSchema,
  workspaceNameSchema,
} from '../azureml/schemas.js';
import { cancelRun } from '../catalog/azureml.js';
import { terminateExecution } from '../catalog/flyte.js';
import type { Operation, OperationInput } from '../catalog/operation.js';
import type { Settings } from '../config.js';
import { domainSchema, executionNameSchema, projectSchema, terminateCauseSchema } from '../flyte/schemas.js';
import { type FieldError, NotAllowedError, ValidationError } from '../problems/errors.js';

/** A problem lists at most this many bad targets; the detail gives the full count. */
const MAX_LISTED_ERRORS = 100;

/** Terminate's own rule: the batch's cause is what each Flyte terminate sends. */
export const causeSchema = terminateCauseSchema.describe(
  'Why the runs are cancelled; sent to Flyte as the terminate cause',
);

const flyteTargetSchema = z.strictObject({
  kind: z.literal('flyte'),
  project: projectSchema,
  domain: domainSchema,
  name: executionNameSchema,
});

const azuremlTargetSchema = z.strictObject({
  kind: z.literal('azureml'),
  subscriptionId: subscriptionIdSchema,
  resourceGroupName: resourceGroupSchema,
  workspaceName: workspaceNameSchema,
  experimentName: experimentNameSchema,
  runId: runIdSchema.describe('Id of the run to cancel'),
});

export const targetSchema = z.discriminatedUnion('kind', [flyteTargetSchema, azuremlTargetSchema], {
  error: 'kind must be "flyte" or "azureml"',
});

export type Target = z.infer<typeof targetSchema>;
export type TargetKind = Target['kind'];

/** The catalog operation that cancels one target of each kind. */
export const CANCEL_OPERATIONS: Readonly<Record<TargetKind, Operation>> = {
  flyte: terminateExecution,
  azureml: cancelRun,
};

/** The REST route parameters of the target's cancel operation. */
export function routeParams(target: Target): Record<string, string> {
  return target.kind === 'flyte'
    ? { 'id-project': target.project, 'id-domain': target.domain, 'id-name': target.name }
    : {
        subscriptionid: target.subscriptionId,
        resourcegroupname: target.resourceGroupName,
        workspacename: target.workspaceName,
        experimentname: target.experimentName,
        runid: target.runId,
      };
}

/**
 * The cancel operation's input for one target. A target has passed `targetSchema`, made of
 * the operation's own field schemas (and `cause` of its body's), so its values go in as they
 * are; a test holds the two to agreeing. Not validating again keeps 10,000 targets cheap.
 * @example
 * const { op, input } = cancelInput(target, 'cleanup after sweep 12');
 * await invokeValidated(op, input, ctx);
 */
export function cancelInput(
  target: Target,
  cause: string | undefined,
): { op: Operation; input: OperationInput<unknown, unknown, unknown> } {
  const op = CANCEL_OPERATIONS[target.kind];
  const body = target.kind === 'flyte' && cause !== undefined ? { cause } : undefined;
  return { op, input: { params: routeParams(target), query: {}, body } };
}

/**
 * Checks every target against the allow-lists; throws one `NotAllowedError` naming each
 * refused target by index (`targets[3]`).
 */
export function assertTargetsAllowed(
  targets: readonly Target[],
  settings: Settings,
  prefix = 'targets',
): void {
  const refused: FieldError[] = [];
  targets.forEach((target, index) => {
    const problem = targetProblem(target, settings);
    if (problem) refused.push({ path: `${prefix}[${index}]`, message: problem });
  });
  if (refused.length === 0) return;
  throw new NotAllowedError(
    `${refused.length} of ${targets.length} targets are not on this gateway's allow-lists; nothing was queued.`,
    refused.slice(0, MAX_LISTED_ERRORS),
  );
}

/** Why one target is off its operation's allow-list, or undefined. */
function targetProblem(target: Target, settings: Settings): string | undefined {
  try {
    const { op, input } = cancelInput(target, undefined);
    op.guard?.(input, settings);
    return undefined;
  } catch (error) {
    if (error instanceof NotAllowedError) return error.detail;
    throw error;
  }
}

/** A `ValidationError` that lists at most `MAX_LISTED_ERRORS` field errors and counts the rest. */
export function cappedValidationError(errors: FieldError[]): ValidationError {
  if (errors.length <= MAX_LISTED_ERRORS) return new ValidationError(errors);
  const first = errors[0] as FieldError;
  return new ValidationError(
    errors.slice(0, MAX_LISTED_ERRORS),
    `${first.path}: ${first.message} (and ${errors.length - 1} more problems; the first ${MAX_LISTED_ERRORS} are listed)`,
  );
}
