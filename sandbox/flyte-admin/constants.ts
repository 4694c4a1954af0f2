/**
 * Fixed vocabulary of the Flyte Admin emulator: gRPC status codes and the HTTP status grpc-gateway maps each
 * to, workflow phases, execution modes and the defaults flyteadmin ships with. Everything is an `as const`
 * object so the wire spellings (`"SUCCEEDED"`, `"RELAUNCH"`) stay string literals in the types.
 * @module
 */

/** gRPC status codes (google.rpc.Code); error bodies carry the number. */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type GrpcCode = (typeof GrpcCode)[keyof typeof GrpcCode];

/**
 * grpc-gateway v2 `HTTPStatusFromCode`. FAILED_PRECONDITION is 400 (not 412) and CANCELLED is nginx's 499;
 * clients branch on these, so they must match the real gateway rather than intuition.
 */
export const HTTP_STATUS_BY_CODE: Readonly<Record<GrpcCode, number>> = {
  0: 200,
  1: 499,
  2: 500,
  3: 400,
  4: 504,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  9: 400,
  10: 409,
  11: 400,
  12: 501,
  13: 500,
  14: 503,
  15: 500,
  16: 401,
};

/** `core.WorkflowExecution.Phase`, in enum-number order (index = number). */
export const PHASES = [
  'UNDEFINED',
  'QUEUED',
  'RUNNING',
  'SUCCEEDING',
  'SUCCEEDED',
  'FAILING',
  'FAILED',
  'ABORTED',
  'TIMED_OUT',
  'ABORTING',
] as const;
export type Phase = (typeof PHASES)[number];

/** Phases flyteadmin treats as final (`common.IsExecutionTerminal`); terminate answers code 9 for these. */
export const TERMINAL_PHASES: ReadonlySet<Phase> = new Set<Phase>([
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
]);

/** `admin.ExecutionMetadata.ExecutionMode`, in enum-number order. */
export const EXECUTION_MODES = [
  'MANUAL',
  'SCHEDULED',
  'SYSTEM',
  'RELAUNCH',
  'CHILD_WORKFLOW',
  'RECOVERED',
  'TRIGGER',
] as const;
export type ExecutionMode = (typeof EXECUTION_MODES)[number];

/** Operation ids flyteadmin's metrics manager puts on categorical spans. */
export const SpanOperation = {
  WORKFLOW_SETUP: 'WORKFLOW_SETUP',
  WORKFLOW_TEARDOWN: 'WORKFLOW_TEARDOWN',
  NODE_SETUP: 'NODE_SETUP',
  NODE_TEARDOWN: 'NODE_TEARDOWN',
  NODE_IDLE: 'NODE_IDLE',
  NODE_RESET: 'NODE_RESET',
  NODE_TRANSITION: 'NODE_TRANSITION',
  TASK_SETUP: 'TASK_SETUP',
  TASK_RUNTIME: 'TASK_RUNTIME',
  TASK_TEARDOWN: 'TASK_TEARDOWN',
} as const;

/** flyteadmin's out-of-the-box configuration (`domains` config, sandbox project). */
export const DEFAULTS = {
  projects: ['flytesnacks'],
  domains: ['development', 'staging', 'production'],
  /** Application config `maxParallelism` default, echoed into every stored spec. */
  maxParallelism: 25,
  /** Where the sandbox's propeller writes outputs; only used to build plausible URIs. */
  metadataPrefix: 's3://my-s3-bucket/metadata/propeller',
  /** Error messages in list items are cut to this many bytes (`transformers.TrimErrorMessage`). */
  listErrorMessageBytes: 100,
} as const;
