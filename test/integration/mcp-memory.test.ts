/**
 * A huge upstream answer through an MCP tool is not held: the gateway reads it up to
 * `MCP_MAX_ANSWER_BYTES` (default 4 MiB), cancels the upstream body and answers a tool error
 * naming the REST route — with its RSS growing by a bounded amount, far below the answer's size
 * (issue 16: a 150 MiB list took the RSS from 137 to 1,786 MiB and never answered).
 *
 * The upstream is a loopback server in this process playing Flyte Admin and Azure ML (the
 * emulators build their answers whole, which would be measured too): it writes one prepared
 * chunk over and over, honouring backpressure, so it allocates nothing as it goes, and records
 * what it was asked and how many bytes it wrote before the gateway hung up. Only the local host
 * is measured: the Functions test host buffers bodies itself.
 */
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { experimentPath, upstreamExperimentPath } from '../helpers/azureml-requests.js';
import { sampleRss } from '../helpers/azureml-streamed-upload.js';
import { type Gateway, startGateway, WORKSPACE } from '../helpers/gateway.js';
import {
  connectMcp,
  FLYTE_ID as ID,
  jsonOf,
  problemOf,
  AZUREML_SCOPE as SCOPE,
} from '../helpers/mcp-client.js';
import { pollUntil } from '../helpers/poll.js';

const MiB = 1024 * 1024;
/** What the upstream offers for a big answer. */
const ANSWER_BYTES = 150 * MiB;
/** The default cap. */
const CAP = 4 * MiB;
/** The bound on the gateway's extra RSS while refusing one big answer: a fraction of its size. */
const RSS_BUDGET = 48 * MiB;
const CHUNK = 64 * 1024;

interface Served {
  method: string;
  path: string;
  query: string;
  /** Bytes written before the answer ended or the connection closed. */
  written: number;
  /** The gateway hung up before the whole answer was written. */
  cutShort: boolean;
  done: boolean;
}

/** A loopback upstream whose big answers are produced on demand. */
async function startBigUpstream(): Promise<{ url: string; served: Served[]; close(): Promise<void> }> {
  const served: Served[] = [];
  const listChunk = Buffer.from(
    `{"id":{"project":"flytesnacks","domain":"development","name":"x"}},`.padEnd(CHUNK, ' '),
  );
  const zipChunk = Buffer.alloc(CHUNK, 0x5a);
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const record: Served = {
      method: req.method ?? '',
      path: url.pathname,
      query: url.search,
      written: 0,
      cutShort: false,
      done: false,
    };
    served.push(record);
    req.resume();
    // Small answers (the warm-up calls) when asked for one execution or the warm-up run.
    const small = url.searchParams.get('limit') === '1' || url.searchParams.get('runId') === 'warm';
    if (url.pathname.endsWith('/startlocalrun')) {
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-disposition': 'attachment; filename="invocation.zip"',
      });
      void pour(res, record, small ? [Buffer.from('PK\x05\x06')] : repeat(zipChunk, ANSWER_BYTES));
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      const head = Buffer.from('{"executions":[');
      const tail = Buffer.from('{}],"token":""}');
      void pour(res, record, small ? [head, tail] : [head, ...repeat(listChunk, ANSWER_BYTES), tail]);
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The same buffer until `total` bytes: an iterable, so nothing is allocated ahead. */
function* repeat(chunk: Buffer, total: number): Generator<Buffer> {
  for (let sent = 0; sent < total; sent += chunk.length) yield chunk;
}

/** Writes the chunks with backpressure until done or the peer goes away. */
async function pour(res: ServerResponse, record: Served, chunks: Iterable<Buffer>): Promise<void> {
  res.on('close', () => {
    record.cutShort = !res.writableFinished;
    record.done = true;
  });
  for (const chunk of chunks) {
    if (res.destroyed) return;
    record.written += chunk.length;
    if (!res.write(chunk)) {
      await Promise.race([once(res, 'drain'), once(res, 'close')]);
    }
  }
  if (!res.destroyed) res.end();
}

describe('MCP answer cap: memory via local-host', () => {
  let upstream: Awaited<ReturnType<typeof startBigUpstream>>;
  let gw: Gateway;
  let client: Client;
  beforeAll(async () => {
    upstream = await startBigUpstream();
    gw = await startGateway({
      surface: 'local-host',
      env: {
        FLYTE_ENDPOINT: upstream.url,
        AZUREML_ENDPOINT: upstream.url,
        AZUREML_AUTH: 'none',
        AZUREML_WORKSPACES: `${WORKSPACE.subscription}/${WORKSPACE.resourceGroup}/${WORKSPACE.workspace}`,
      },
    });
    client = await connectMcp(gw);
    // Warm up: lazy modules, the SDK and both upstream pools exist before any baseline.
    expect(
      jsonOf(await client.callTool({ name: 'list-workflow-executions', arguments: { ...ID, limit: 1 } })),
    ).toEqual({
      executions: [{}],
      token: '',
    });
    const warm = await client.callTool({
      name: 'microsoft-azure-start-run-local',
      arguments: { ...SCOPE, runId: 'warm', runDefinition: {} },
    });
    expect(warm.isError).toBeUndefined();
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await gw?.close();
    await upstream?.close();
  });

  /** Runs one tool call under the RSS sampler; the upstream's record of it. */
  async function measured(name: string, args: Record<string, unknown>) {
    const before = upstream.served.length;
    const sampler = sampleRss(10);
    const started = Date.now();
    const result = await client.callTool({ name, arguments: args });
    const rss = sampler.stop();
    const seconds = (Date.now() - started) / 1000;
    expect(upstream.served).toHaveLength(before + 1);
    const record = upstream.served[before] as Served;
    // The gateway cancels the body; the upstream sees the connection close soon after.
    await pollUntil(
      async () => record.done,
      (done) => done,
      { timeoutMs: 5_000 },
    );
    const growth = rss.peak - rss.baseline;
    console.info(
      `${name}: ${seconds.toFixed(1)} s, upstream wrote ${(record.written / MiB).toFixed(1)} MiB, ` +
        `RSS +${(growth / MiB).toFixed(0)} MiB (baseline ${(rss.baseline / MiB).toFixed(0)} MiB)`,
    );
    return { result, record, growth, seconds };
  }

  it('a 150 MiB list: 413 tool error naming the cap and the REST route; upstream cut short; RSS bounded', async () => {
    // Act
    const { result, record, growth, seconds } = await measured('list-workflow-executions', {
      ...ID,
      limit: 500,
    });
    // Assess: the answer
    expect(problemOf(result)).toMatchObject({
      status: 413,
      type: '/problems/payload-too-large',
      limit: CAP,
      restRoute: 'GET /v1/api/v1/executions/flytesnacks/development?limit=500',
    });
    // Assess: what the upstream was asked, and that it was not read to the end
    expect([record.method, record.path, record.query]).toEqual([
      'GET',
      '/api/v1/executions/flytesnacks/development',
      '?limit=500',
    ]);
    expect(record.cutShort).toBe(true);
    expect(record.written).toBeLessThan(ANSWER_BYTES / 4);
    // Assess: memory and time
    expect(growth).toBeLessThan(RSS_BUDGET);
    expect(seconds).toBeLessThan(10);
  }, 30_000);

  it('a 150 MiB startlocalrun zip: 413 tool error saying the run started, naming the REST route; RSS bounded', async () => {
    // Act
    const { result, record, growth, seconds } = await measured('microsoft-azure-start-run-local', {
      ...SCOPE,
      runId: 'big-local',
      runDefinition: {},
    });
    // Assess: the answer
    const problem = problemOf(result);
    expect(problem).toMatchObject({
      status: 413,
      type: '/problems/payload-too-large',
      limit: CAP,
      restRoute: `POST ${experimentPath()}/startlocalrun?runId=big-local`,
    });
    expect(problem.detail).toContain('The operation itself succeeded upstream.');
    // Assess: what the upstream was asked, and that it was not read to the end
    expect([record.method, record.path, record.query]).toEqual([
      'POST',
      `${upstreamExperimentPath()}/startlocalrun`,
      '?runId=big-local',
    ]);
    expect(record.cutShort).toBe(true);
    expect(record.written).toBeLessThan(ANSWER_BYTES / 4);
    // Assess: memory and time
    expect(growth).toBeLessThan(RSS_BUDGET);
    expect(seconds).toBeLessThan(10);
  }, 30_000);
});
