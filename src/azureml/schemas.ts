/**
 * @module
 * zod schemas for the Azure ML Execution Service operations, from the official swagger
 * (`specs/azureml-execution/execution.json`) and Azure's naming rules: subscription ids are
 * UUIDs, resource groups and workspaces follow ARM's rules, experiment names and run ids the
 * spec's pattern. RunDefinition fields have their spec types; unknown fields pass through
 * (the service binds names case-insensitively and ignores what it does not know).
 */
import { z } from 'zod';

/** The spec's pattern for run ids (and the service's for experiment names). */
const RUN_ID = /^[a-zA-Z0-9][\w-]{0,255}$/;

export const subscriptionIdSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'must be a UUID')
  .describe('Azure subscription id (UUID)');

export const resourceGroupSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(90, 'must be at most 90 characters')
  .regex(/^[\w.()-]*[\w()-]$/, 'must be letters, digits, _ . ( ) -, not ending with a period')
  .describe('Resource group name');

export const workspaceNameSchema = z
  .string()
  .regex(
    /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$/,
    'must be 3-33 letters, digits, _ or -, starting with a letter or digit',
  )
  .describe('Azure ML workspace name');

export const experimentNameSchema = z
  .string()
  .regex(RUN_ID, 'must be 1-256 letters, digits, _ or -, starting with a letter or digit')
  .describe('Experiment name');

export const runIdSchema = z
  .string()
  .regex(RUN_ID, 'must match ^[a-zA-Z0-9][\\w-]{0,255}$')
  .describe('Run id');

/** Route params of every operation, named as in the contract's REST paths. */
export const experimentPathSchema = z.strictObject({
  subscriptionid: subscriptionIdSchema,
  resourcegroupname: resourceGroupSchema,
  workspacename: workspaceNameSchema,
  experimentname: experimentNameSchema,
});

export const runPathSchema = experimentPathSchema.extend({
  runid: runIdSchema.describe('The id of the run to cancel'),
});

/**
 * A start's query. Strict: an unknown parameter is refused, not dropped (a misspelt run id would
 * mint a new run on every retry). REST reads `runId` in any case, as the service does
 * (src/http/query.ts).
 */
export const startQuerySchema = z.strictObject({
  runId: runIdSchema.optional().describe('Run id; generated when omitted'),
});

const dataReferenceSchema = z.looseObject({
  dataStoreName: z.string().optional(),
  mode: z.enum(['Mount', 'Download', 'Upload']).optional(),
  pathOnDataStore: z.string().optional(),
  pathOnCompute: z.string().optional(),
  overwrite: z.boolean().optional(),
});

const runConfigurationSchema = z
  .looseObject({
    script: z.string().max(1024).optional().describe('Entry script, relative to the project root'),
    arguments: z.array(z.string()).optional().describe('Script arguments'),
    framework: z.enum(['Python', 'PySpark', 'Cntk', 'TensorFlow', 'PyTorch']).optional(),
    communicator: z.enum(['None', 'ParameterServer', 'Gloo', 'Mpi', 'Nccl']).optional(),
    target: z.string().max(255).optional().describe('Compute target name; "local" by default'),
    dataReferences: z.record(z.string(), dataReferenceSchema).optional(),
    jobName: z.string().optional(),
    maxRunDurationSeconds: z.number().int().min(0).nullable().optional(),
    nodeCount: z.number().int().min(1).optional(),
    environment: z.looseObject({}).optional(),
    history: z.looseObject({}).optional(),
    spark: z.looseObject({}).optional(),
    tensorflow: z.looseObject({}).optional(),
    mpi: z.looseObject({}).optional(),
    hdi: z.looseObject({}).optional(),
  })
  .describe('RunConfiguration: script, arguments, target, environment, ...');

/** RunDefinition as the swagger types it; unknown (e.g. PascalCase SDK) keys pass through. */
export const runDefinitionSchema = z
  .looseObject({
    configuration: runConfigurationSchema.optional(),
    snapshotId: z.uuid('must be a UUID').optional().describe('Snapshot to run (snapshotrun)'),
    parentRunId: runIdSchema.optional().describe('Parent run id'),
    runType: z.string().max(255).optional().describe('Run type; "experiment" by default'),
  })
  .describe('RunDefinition');

/** snapshotrun needs the snapshot id (the SDK spells it SnapshotId). */
export const snapshotRunDefinitionSchema = runDefinitionSchema.refine(
  (d) => typeof d.snapshotId === 'string' || typeof (d as { SnapshotId?: unknown }).SnapshotId === 'string',
  { path: ['snapshotId'], message: 'is required for snapshotrun' },
);

/** startrun's retry form: the run definition plus a zip already staged. */
export const stagedStartRunSchema = z.strictObject({
  runDefinition: runDefinitionSchema,
  stagedZipId: z
    .string()
    .regex(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      'must be an id returned by the gateway',
    )
    .describe('Id of a staged zip (from a failed startrun or an upload slot)'),
});

export type RunDefinition = z.infer<typeof runDefinitionSchema>;
export type ExperimentPath = z.infer<typeof experimentPathSchema>;
export type RunPath = z.infer<typeof runPathSchema>;
