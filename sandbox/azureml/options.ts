/**
 * Options of the Azure ML Execution Service emulator, each with its default, and their resolution into the
 * fully populated settings the modules share. Kept apart from `index.ts` so internal modules can import
 * the resolved shape without importing the server.
 * @module
 */
import type { FaultSettings } from '../common/faults.js';
import { DEFAULT_MAX_ZIP_BYTES } from './constants.js';
import type { EmulatedWorkspace } from './workspaces.js';

/** How long a run spends in each status before the emulator reports the next one; 0 skips a status. */
export interface StatusDelaysMs {
  /** NotStarted → Starting. @default 10 */
  notStarted?: number;
  /** Starting → Queued. @default 20 */
  starting?: number;
  /** Queued → Running. @default 20 */
  queued?: number;
  /** Running → Finalizing. @default 200 */
  running?: number;
  /** Finalizing → Completed (or Failed). @default 20 */
  finalizing?: number;
  /** CancelRequested → Canceled after a cancel. @default 50 */
  cancelRequested?: number;
}

/** What `finalStatus` is told about a run when deciding how it ends. */
export interface RunOutcomeInput {
  experimentName: string;
  runId: string;
  /** The run definition as received (any key casing). */
  definition: Record<string, unknown>;
}

export interface AzureMlAuthOptions {
  /**
   * Require `Authorization: Bearer …` on the Execution and History APIs: exactly this token, or `'issued'`
   * for any unexpired token minted by the emulator's managed-identity endpoint. Absent: auth off.
   */
  requireBearer?: string;
  /**
   * Secret the managed-identity endpoint (`GET /msi/token`) expects in `X-IDENTITY-HEADER`, i.e. the value
   * to put in `IDENTITY_HEADER`. Absent: that endpoint answers 404.
   */
  identityHeader?: string;
  /** Lifetime of minted tokens (`expires_on` = now + this), on the emulator clock. @default 3600 */
  tokenTtlSeconds?: number;
}

export interface AzureMlEmulatorOptions {
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string;
  /** Port; 0 picks a free one (read it back from `url`). @default 0 */
  port?: number;
  /** Clock in epoch ms; statuses are computed lazily from it, so a test can move time. @default Date.now */
  now?: () => number;
  /** Status timing; see {@link StatusDelaysMs}. */
  statusDelaysMs?: StatusDelaysMs;
  /** Largest accepted `projectZipFile` in bytes; larger is a 413. @default 300 MiB */
  maxZipBytes?: number;
  /** Cancel of a finished run: `'ok'` answers 200 and changes nothing, `'conflict'` answers 409. @default 'ok' */
  cancelTerminal?: 'ok' | 'conflict';
  /** How a run left alone ends. @default () => 'Completed' */
  finalStatus?: (run: RunOutcomeInput) => 'Completed' | 'Failed';
  /** `environment`/`location` of error bodies. @default 'eastus' (the swagger examples' region) */
  region?: string;
  /** Bearer auth and the managed-identity endpoint; see {@link AzureMlAuthOptions}. @default auth off */
  auth?: AzureMlAuthOptions;
  /** Faults active from the start; see `FaultSettings`. @default none */
  faults?: FaultSettings;
  /** Workspaces the emulated ARM answers (`GET /subscriptions/…/workspaces/{ws}`); more with `workspaces.put`. @default none */
  workspaces?: EmulatedWorkspace[];
  /** Workspace names whose public network access is disabled: refused here with 403 (a public regional host). @default none */
  publicAccessDisabled?: string[];
  /** Keys of `GET /discovery` that name another host than this one (e.g. `{history: 'https://…'}`). @default none */
  discovery?: Record<string, string>;
  /**
   * Hash every body over the journal's text limit for its `bodySha256`. False records only `bodyBytes`:
   * for a bench whose emulator shares the machine's cores with what it measures, where a second SHA-256
   * of each large upload (the zip part is hashed anyway, for the run's `zip.sha256`) would take CPU from
   * the measured process. Answers are the same either way. @default true
   */
  journalBodyHash?: boolean;
}

export interface ResolvedDelays {
  notStarted: number;
  starting: number;
  queued: number;
  running: number;
  finalizing: number;
  cancelRequested: number;
}

export interface ResolvedOptions {
  host: string;
  port: number;
  now: () => number;
  delays: ResolvedDelays;
  maxZipBytes: number;
  cancelTerminal: 'ok' | 'conflict';
  finalStatus: (run: RunOutcomeInput) => 'Completed' | 'Failed';
  region: string;
  auth: { requireBearer?: string; identityHeader?: string; tokenTtlSeconds: number };
  journalBodyHash: boolean;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(value >= 0)) throw new RangeError(`${name} must be a number >= 0, got ${value}`);
  return value;
}

/** Fills every default and rejects nonsense (negative delays, a zero cap) before the server starts. */
export function resolveOptions(options: AzureMlEmulatorOptions = {}): ResolvedOptions {
  const delays = options.statusDelaysMs ?? {};
  const delay = (name: keyof StatusDelaysMs, fallback: number) =>
    nonNegative(`statusDelaysMs.${name}`, delays[name], fallback);
  const maxZipBytes = options.maxZipBytes ?? DEFAULT_MAX_ZIP_BYTES;
  if (!Number.isInteger(maxZipBytes) || maxZipBytes < 1)
    throw new RangeError(`maxZipBytes must be an integer >= 1, got ${maxZipBytes}`);
  const cancelTerminal = options.cancelTerminal ?? 'ok';
  if (cancelTerminal !== 'ok' && cancelTerminal !== 'conflict')
    throw new RangeError(`cancelTerminal must be 'ok' or 'conflict', got ${String(cancelTerminal)}`);
  return {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    now: options.now ?? Date.now,
    delays: {
      notStarted: delay('notStarted', 10),
      starting: delay('starting', 20),
      queued: delay('queued', 20),
      running: delay('running', 200),
      finalizing: delay('finalizing', 20),
      cancelRequested: delay('cancelRequested', 50),
    },
    maxZipBytes,
    cancelTerminal,
    finalStatus: options.finalStatus ?? (() => 'Completed'),
    region: options.region ?? 'eastus',
    auth: {
      requireBearer: options.auth?.requireBearer,
      identityHeader: options.auth?.identityHeader,
      tokenTtlSeconds: nonNegative('auth.tokenTtlSeconds', options.auth?.tokenTtlSeconds, 3600),
    },
    journalBodyHash: options.journalBodyHash ?? true,
  };
}
