/**
 * Reads one answer on a fresh connection and notes when its headers and each body chunk came,
 * to see a drip fault as a client does.
 */
import { request as httpRequest } from 'node:http';

export interface TimedAnswer {
  status: number;
  /** ms from sending to the headers. */
  headersAtMs: number;
  /** Each body chunk as read: ms from sending, and its size. */
  chunks: { atMs: number; bytes: number }[];
  body: string;
}

export function timedRead(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string> = { accept: 'application/json' },
): Promise<TimedAnswer> {
  const started = performance.now();
  const since = () => Math.round(performance.now() - started);
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${baseUrl}${path}`, { method, agent: false, headers }, (res) => {
      const headersAtMs = since();
      const chunks: TimedAnswer['chunks'] = [];
      const parts: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        chunks.push({ atMs: since(), bytes: chunk.length });
        parts.push(chunk);
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headersAtMs,
          chunks,
          body: Buffer.concat(parts).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
