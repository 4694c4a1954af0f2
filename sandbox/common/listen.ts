/**
 * Starting and stopping an emulator's node:http server: listen and work out a base URL a client can
 * actually dial (a wildcard bind is printed as loopback), and a close that also destroys idle keep-alive
 * connections — without that, `server.close()` waits for clients' pooled sockets to time out and a test
 * run hangs for seconds after its last request.
 * @module
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Listens on `host:port` (0 picks a free port) and resolves with `http://host:port`, no trailing slash.
 * @example const url = await listen(createServer(listener), '127.0.0.1', 0);
 */
export async function listen(server: Server, host: string, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = ['0.0.0.0', '::'].includes(address.address)
    ? '127.0.0.1'
    : address.family === 'IPv6'
      ? `[${address.address}]`
      : address.address;
  return `http://${shown}:${address.port}`;
}

/**
 * Returns a `close()` that stops listening and destroys open connections; calling it twice is safe.
 * @example const close = closer(server); await close(); await close();
 */
export function closer(server: Server): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    });
    return closing;
  };
}
