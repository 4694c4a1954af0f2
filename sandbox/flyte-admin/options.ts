/**
 * Options of the Flyte Admin emulator, each with its default, and their resolution into the fully populated
 * settings the modules share. Kept apart from `index.ts` so internal modules can import the resolved shape
 * without importing the server.
 * @module
 */

import type { FaultSettings } from '../common/faults.js';
import { DEFAULTS, type Phase } from './constants.js';

/** How long an execution spends in each phase before the emulator reports the next one. */
export interface PhaseDelaysMs {
  /** UNDEFINED (or QUEUED) → RUNNING. @default 50 */
  queued?: number;
  /** RUNNING → SUCCEEDING/FAILING (or straight to the outcome when `finishing` is 0). @default 200 */
  running?: number;
  /** SUCCEEDING/FAILING → the outcome; 0 skips that phase, as most OSS runs appear to. @default 0 */
  finishing?: number;
  /** ABORTING → ABORTED after a terminate. @default 50 */
  aborting?: number;
}

/** Final phase of an execution that is left alone. */
export type TerminalOutcome = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';

/** What `outcome` is told about an execution when deciding how it ends. */
export interface OutcomeInput {
  project: string;
  domain: string;
  name: string;
  launchPlan: { project: string; domain: string; name: string; version: string };
}

/** Which bearer tokens the API accepts. */
export type BearerRequirement =
  /** Only tokens minted by this emulator's `POST /oauth2/token` (and not expired). */
  | 'issued'
  /** Exactly this token; `principal` is who the caller becomes. */
  | { token: string; principal?: string };

export interface AuthOptions {
  /** Require `Authorization: Bearer …` (or `flyte-authorization`) on the API. Absent: auth off. */
  requireBearer?: BearerRequirement;
  /** OAuth2 clients for `POST /oauth2/token`: client id → secret. @default {} */
  clients?: Record<string, string>;
  /** `expires_in` of issued tokens, in seconds; expiry is judged on the emulator clock. @default 3600 */
  tokenTtlSeconds?: number;
}

export interface FlyteAdminEmulatorOptions {
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string;
  /** Port; 0 picks a free one (read it back from `url`). @default 0 */
  port?: number;
  /** Registered (active) projects; creating elsewhere is a 400. @default ['flytesnacks'] */
  projects?: string[];
  /** Configured domains. @default ['development', 'staging', 'production'] */
  domains?: string[];
  /** Phase timing; see {@link PhaseDelaysMs}. */
  phaseDelaysMs?: PhaseDelaysMs;
  /** Phase of a new execution before it runs. flyteadmin stores UNDEFINED. @default 'UNDEFINED' */
  initialPhase?: Extract<Phase, 'UNDEFINED' | 'QUEUED'>;
  /** Decides how each execution ends. @default () => 'SUCCEEDED' */
  outcome?: (execution: OutcomeInput) => TerminalOutcome;
  /** Clock in epoch milliseconds; phases are computed lazily from it, so a test can move time. @default Date.now */
  now?: () => number;
  /** Bearer auth and the token endpoint; see {@link AuthOptions}. @default auth off */
  auth?: AuthOptions;
  /** Faults active from the start; see `FaultSettings`. @default none */
  faults?: FaultSettings;
}

export interface ResolvedDelays {
  queued: number;
  running: number;
  finishing: number;
  aborting: number;
}

export interface ResolvedOptions {
  host: string;
  port: number;
  projects: readonly string[];
  domains: readonly string[];
  delays: ResolvedDelays;
  initialPhase: Extract<Phase, 'UNDEFINED' | 'QUEUED'>;
  outcome: (execution: OutcomeInput) => TerminalOutcome;
  now: () => number;
  auth: { requireBearer?: BearerRequirement; clients: Record<string, string>; tokenTtlSeconds: number };
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(value >= 0)) throw new RangeError(`phaseDelaysMs.${name} must be a number >= 0, got ${value}`);
  return value;
}

/** Fills every default and rejects nonsense (negative delays) before the server starts. */
export function resolveOptions(options: FlyteAdminEmulatorOptions = {}): ResolvedOptions {
  const delays = options.phaseDelaysMs ?? {};
  return {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    projects: [...(options.projects ?? DEFAULTS.projects)],
    domains: [...(options.domains ?? DEFAULTS.domains)],
    delays: {
      queued: nonNegative('queued', delays.queued, 50),
      running: nonNegative('running', delays.running, 200),
      finishing: nonNegative('finishing', delays.finishing, 0),
      aborting: nonNegative('aborting', delays.aborting, 50),
    },
    initialPhase: options.initialPhase ?? 'UNDEFINED',
    outcome: options.outcome ?? (() => 'SUCCEEDED'),
    now: options.now ?? Date.now,
    auth: {
      requireBearer: options.auth?.requireBearer,
      clients: { ...(options.auth?.clients ?? {}) },
      tokenTtlSeconds: options.auth?.tokenTtlSeconds ?? 3600,
    },
  };
}
