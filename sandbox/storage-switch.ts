/**
 * Storage outages on demand, for fault tests and the soak bench: a loopback TCP proxy in front of
 * each of Azurite's endpoints. Stopping Azurite itself would lose its in-memory data; cutting the
 * proxy is an outage that storage survives, as in Azure.
 * @module
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** Storage that can be taken away and given back: a loopback TCP proxy in front of Azurite. */
export interface StorageSwitch {
  /** Azurite's connection string with the proxy's endpoints. */
  connectionString: string;
  /** Storage gone: open connections are cut and new ones refused. */
  stop(): void;
  /** Storage back (Azurite kept its data all along). */
  start(): void;
  /** Connections cut or refused so far: proof the outage was met. */
  readonly refused: number;
  close(): Promise<void>;
}

/**
 * Puts a proxy in front of each of Azurite's endpoints. Stopping Azurite itself would lose
 * its in-memory data; cutting the proxy is an outage that storage survives, as in Azure.
 * @example
 * const storage = await storageSwitch(gateway.azurite.connectionString);
 * storage.stop(); storage.start();
 */
export async function storageSwitch(connectionString: string): Promise<StorageSwitch> {
  const sockets = new Set<Socket>();
  const servers: Server[] = [];
  let down = false;
  let refused = 0;
  const parts = connectionString.split(';');
  const proxied: string[] = [];
  for (const part of parts) {
    const match = /^(Blob|Queue|Table)Endpoint=(.*)$/.exec(part);
    if (!match?.[2]) {
      proxied.push(part);
      continue;
    }
    const target = new URL(match[2]);
    const server = createServer((client) => {
      if (down) {
        refused += 1;
        return void client.destroy();
      }
      const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    const { port } = server.address() as { port: number };
    proxied.push(`${match[1]}Endpoint=http://127.0.0.1:${port}${target.pathname}`);
  }
  return {
    connectionString: proxied.join(';'),
    stop() {
      down = true;
      refused += sockets.size;
      for (const socket of sockets) socket.destroy();
    },
    start() {
      down = false;
    },
    get refused() {
      return refused;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}
