/**
 * The per-workspace endpoint cache: one lookup in flight per workspace (ARM names compared
 * case-insensitively), reuse until the time to live passes, failures kept at most 5 s, and a
 * copy of the failure for each caller (surfaces add their own problem members to it).
 */
import { describe, expect, it } from 'vitest';
import { EndpointCache, FAILURE_TTL_MS } from '../../src/azureml/endpoint-cache.js';
import { EndpointDiscoveryError, type WorkspaceRef } from '../../src/azureml/endpoint-discovery.js';

const WS: WorkspaceRef = { subscriptionId: 'sub', resourceGroup: 'rg', workspace: 'ws' };

function counting(answer: (n: number) => Promise<string>) {
  const lookups: WorkspaceRef[] = [];
  return {
    lookups,
    lookup: (ws: WorkspaceRef) => {
      lookups.push(ws);
      return answer(lookups.length);
    },
  };
}

describe('EndpointCache', () => {
  it('makes one lookup for concurrent callers and reuses it until it expires', async () => {
    // Prepare
    let now = 0;
    const { lookups, lookup } = counting(async (n) => `https://r${n}.api.azureml.ms`);
    const cache = new EndpointCache(lookup, { ttlMs: 1000, now: () => now });
    // Act
    const burst = await Promise.all([
      cache.resolve(WS),
      cache.resolve({ ...WS, workspace: 'WS' }),
      cache.resolve({ ...WS, resourceGroup: 'RG' }),
    ]);
    now = 999;
    const cached = await cache.resolve(WS);
    now = 1000;
    const renewed = await cache.resolve(WS);
    // Assess
    expect(burst).toEqual(Array(3).fill('https://r1.api.azureml.ms'));
    expect(cached).toBe('https://r1.api.azureml.ms');
    expect(renewed).toBe('https://r2.api.azureml.ms');
    expect(lookups).toHaveLength(2);
  });

  it('keeps a failure at most 5 s, handing each caller its own copy', async () => {
    // Prepare
    let now = 0;
    const { lookups, lookup } = counting(async (n) => {
      if (n === 1) throw new EndpointDiscoveryError(WS, 'Azure Resource Manager answered 404');
      return 'https://ok.api.azureml.ms';
    });
    const cache = new EndpointCache(lookup, { ttlMs: 3_600_000, now: () => now });
    // Act
    const first = (await cache.resolve(WS).catch((e: unknown) => e)) as EndpointDiscoveryError;
    first.extensions.runId = 'mine';
    now = FAILURE_TTL_MS - 1;
    const second = (await cache.resolve(WS).catch((e: unknown) => e)) as EndpointDiscoveryError;
    now = FAILURE_TTL_MS;
    const recovered = await cache.resolve(WS);
    // Assess
    expect(first).toBeInstanceOf(EndpointDiscoveryError);
    expect(second).toBeInstanceOf(EndpointDiscoveryError);
    expect(second).not.toBe(first);
    expect(second.status).toBe(502);
    expect(second.detail).toBe(first.detail);
    expect(second.extensions).toEqual({ workspace: 'sub/rg/ws' });
    expect(recovered).toBe('https://ok.api.azureml.ms');
    expect(lookups).toHaveLength(2);
  });

  it('stays bounded when callers name many workspaces', async () => {
    // Prepare
    const { lookups, lookup } = counting(async () => 'https://x.api.azureml.ms');
    const cache = new EndpointCache(lookup, { ttlMs: 1000, maxEntries: 3 });
    // Act
    for (const ws of ['a', 'b', 'c', 'd']) await cache.resolve({ ...WS, workspace: ws });
    await cache.resolve({ ...WS, workspace: 'd' });
    await cache.resolve({ ...WS, workspace: 'a' });
    // Assess: d still cached, a (the oldest) dropped and looked up again
    expect(lookups.map((w) => w.workspace)).toEqual(['a', 'b', 'c', 'd', 'a']);
  });
});
