/**
 * Command-line runner shared by the emulators: reads `HOST` (default 127.0.0.1) and `PORT`,
 * starts the emulator, prints its base URL, and closes it on SIGINT/SIGTERM so terminals and
 * `npm start` can stop it without leaving the port bound.
 * @module
 */

export interface Closable {
  url: string;
  close(): Promise<void>;
}

/**
 * @example
 * runEmulatorCli('Flyte Admin emulator', 8089, (host, port) => startFlyteAdminEmulator({ host, port }));
 */
export function runEmulatorCli(
  name: string,
  defaultPort: number,
  start: (host: string, port: number) => Promise<Closable>,
): void {
  const main = async () => {
    const port = Number(process.env.PORT ?? defaultPort);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new Error(`PORT must be 0-65535, got ${process.env.PORT}`);
    }
    const emulator = await start(process.env.HOST ?? '127.0.0.1', port);
    console.log(`${name} listening on ${emulator.url}`);
    const stop = (signal: NodeJS.Signals) => {
      console.log(`${signal} received, closing the ${name}`);
      emulator.close().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  };
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
