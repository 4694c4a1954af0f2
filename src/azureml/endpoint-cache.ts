/**
 * @module
 * Discovered endpoints per workspace, kept for a time to live. One lookup at a time per
 * workspace (a burst of calls waits for the same one); a failure is kept only briefly, so a
 * fixed workspace or a recovered ARM is found again soon, while a burst does not hammer ARM.
 * Every caller gets its own copy of a failure: surfaces add their own problem members to it.
 */
import { GatewayError } from '../problems/errors.js';
import { type WorkspaceRef, workspaceLabel } from './endpoint-discovery.js';

/** A failure is kept at most this long (or the time to live, if shorter). */
export const FAILURE_TTL_MS = 5_000;

export interface EndpointCacheOptions {
  ttlMs: number;
  now?: () => number;
  /** Past this many workspaces, expired entries (then the oldest) are dropped. @default 1000 */
  maxEntries?: number;
}

interface Entry {
  expiresAt: number;
  value?: string;
  error?: unknown;
  pending?: Promise<string>;
}

/** A copy of `error` with its own problem members, so one caller's additions stay its own. */
function fresh(error: unknown): unknown {
  if (!(error instanceof GatewayError)) return error;
  const copy = Object.create(Object.getPrototypeOf(error), Object.getOwnPropertyDescriptors(error));
  Object.defineProperty(copy, 'extensions', { value: { ...error.extensions }, enumerable: true });
  return copy;
}

/**
 * @example
 * const cache = new EndpointCache((ws) => discoverExecutionEndpoint(ws, options), { ttlMs: 3_600_000 });
 * await cache.resolve({ subscriptionId, resourceGroup: 'rg', workspace: 'ws' }); // 'https://westeurope.api.azureml.ms'
 */
export class EndpointCache {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly maxEntries: number;

  constructor(
    private readonly lookup: (workspace: WorkspaceRef) => Promise<string>,
    private readonly options: EndpointCacheOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.maxEntries = options.maxEntries ?? 1000;
  }

  async resolve(workspace: WorkspaceRef): Promise<string> {
    // ARM names are case-insensitive: one entry per workspace however it is spelt.
    const key = workspaceLabel(workspace).toLowerCase();
    const entry = this.entries.get(key);
    if (entry?.pending) return entry.pending.catch((error: unknown) => Promise.reject(fresh(error)));
    if (entry && this.now() < entry.expiresAt) {
      if (entry.error !== undefined) throw fresh(entry.error);
      return entry.value as string;
    }
    const pending = this.lookup(workspace).then(
      (value) => {
        this.entries.set(key, { value, expiresAt: this.now() + this.options.ttlMs });
        return value;
      },
      (error: unknown) => {
        const failureTtl = Math.min(FAILURE_TTL_MS, this.options.ttlMs);
        this.entries.set(key, { error, expiresAt: this.now() + failureTtl });
        throw error;
      },
    );
    this.entries.delete(key); // re-inserted last: the map's order is age
    this.entries.set(key, { pending, expiresAt: 0 });
    this.prune();
    return pending.catch((error: unknown) => Promise.reject(fresh(error)));
  }

  /** Keeps the map bounded when callers name many workspaces (AZUREML_WORKSPACES=*). */
  private prune(): void {
    if (this.entries.size <= this.maxEntries) return;
    const now = this.now();
    for (const [key, entry] of this.entries)
      if (!entry.pending && entry.expiresAt <= now) this.entries.delete(key);
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries) break;
      if (!entry.pending) this.entries.delete(key);
    }
  }
}
