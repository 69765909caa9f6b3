import { createServer, type Server, type Socket } from 'node:net';

/** A running in-process MQTT broker. */
export type EmbeddedBroker = { url: string; port: number; stop(): Promise<void> };

type Aedes = { handle: (socket: Socket) => void; close(callback: () => void): void };

/**
 * Starts the embedded MQTT 3.1.1 broker (aedes) on `host:port`: what `npm start` runs when no `MQTT_URL` is given.
 * It has no MQTT 5 and no shared subscriptions: one oracle instance (protocol 4, unshared) uses it.
 *
 * @example
 * const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 1883 })
 * await broker.stop()
 */
export async function startEmbeddedBroker(options: { host: string; port: number }): Promise<EmbeddedBroker> {
  const { Aedes } = require('aedes') as { Aedes: { createBroker(): Promise<Aedes> } };
  const broker = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `mqtt://${options.host}:${port}`,
    port,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await closed;
    },
  };
}
