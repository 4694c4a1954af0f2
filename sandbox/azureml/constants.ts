/**
 * Fixed vocabulary of the Azure ML Execution Service emulator: run statuses (Run History spelling, one "l"
 * in `Canceled`), error codes, the id patterns from the swagger, and limits. Values cite
 * `shared/reference/azureml-execution.md` (§ numbers) where they come from a source.
 * @module
 */

/** Run History statuses the emulator reports (§7). `Preparing`/`Provisioning`/`NotResponding` never occur. */
export const RunStatus = {
  NotStarted: 'NotStarted',
  Starting: 'Starting',
  Queued: 'Queued',
  Running: 'Running',
  Finalizing: 'Finalizing',
  CancelRequested: 'CancelRequested',
  Completed: 'Completed',
  Failed: 'Failed',
  Canceled: 'Canceled',
} as const;
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];

/** Terminal statuses (§7, promptflow's `get_terminated_statuses`). */
export const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set([
  RunStatus.Completed,
  RunStatus.Failed,
  RunStatus.Canceled,
]);

/** The forward path of a run left alone, in order; each step lasts its configured delay (0 skips it). */
export const FORWARD_PATH = [
  RunStatus.NotStarted,
  RunStatus.Starting,
  RunStatus.Queued,
  RunStatus.Running,
  RunStatus.Finalizing,
] as const;

/** Root `error.code` values (swagger `RootError.code`, §5). */
export const RootCode = {
  UserError: 'UserError',
  ServiceError: 'ServiceError',
  TransientError: 'TransientError',
  RequestThrottled: 'RequestThrottled',
} as const;
export type RootCode = (typeof RootCode)[keyof typeof RootCode];

/** Inner codes the emulator uses under `UserError`; clients walk `innerError` to the deepest one they know. */
export const InnerCode = {
  ValidationError: 'ValidationError',
  NotFoundError: 'NotFoundError',
  RunIdAlreadyExists: 'RunIdAlreadyExists',
  RunInTerminalState: 'RunInTerminalState',
  PayloadTooLarge: 'PayloadTooLarge',
  UnsupportedMediaType: 'UnsupportedMediaType',
  MethodNotAllowed: 'MethodNotAllowed',
  AuthenticationError: 'AuthenticationError',
  /** A workspace with public network access disabled, reached over a public regional host (emulator's name). */
  PrivateLinkAccessDenied: 'PrivateLinkAccessDenied',
} as const;
export type InnerCode = (typeof InnerCode)[keyof typeof InnerCode];

/** `runId` query/path pattern of all four operations (swagger). */
export const RUN_ID_PATTERN = /^[a-zA-Z0-9][\w-]{0,255}$/;
/** Subscription ids are GUIDs (`format: uuid`); any hex case, as ARM accepts. */
export const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/**
 * Experiment names: the SDK's rule (letters, digits, `_`, `-`, starting with a letter or digit, at most
 * 250 characters) — not in the swagger, so an emulator choice; it keeps generated run ids valid.
 */
export const EXPERIMENT_NAME_PATTERN = /^[a-zA-Z0-9][\w-]{0,249}$/;

/** Snapshot limit of the service (§8): 300 MiB. */
export const DEFAULT_MAX_ZIP_BYTES = 300 * 1024 * 1024;
/** Room for the run definition and multipart framing on top of the zip cap before a body counts as too big. */
export const MULTIPART_OVERHEAD_BYTES = 1024 * 1024;
/** Bodies up to this size are kept as text in the request journal; larger ones as size + SHA-256. */
export const JOURNAL_TEXT_LIMIT_BYTES = 64 * 1024;

/** `componentName` of error bodies (§5: "probably execution"). */
export const COMPONENT_NAME = 'execution';
/** App Service managed-identity API version that @azure/identity (through MSAL) sends. */
export const MSI_API_VERSION = '2019-08-01';
export const MSI_PATH = '/msi/token';
/** Where a (regional or private-link) host answers its service endpoints. */
export const DISCOVERY_PATH = '/discovery';
