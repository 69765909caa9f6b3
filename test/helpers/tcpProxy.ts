import { createServer, connect, type Server, type Socket } from 'node:net';

/** A TCP proxy on 127.0.0.1 that a test can cut and restore, to make a real outage between two real parts. */
export type TcpProxy = {
  port: number;
  url: string;
  cut(): Promise<void>;
  /** Stops carrying bytes on every open connection, which stay open: a silent partition (no RST, no FIN). */
  stall(): void;
  restore(): Promise<void>;
  close(): Promise<void>;
};

/**
 * Forwards 127.0.0.1:<port> to 127.0.0.1:<target>. `cut()` closes the listener and every connection (clients see
 * refused connections); `restore()` listens again on the same port. `stall()` keeps the open connections but stops
 * forwarding on them, as a partition that drops packets silently.
 *
 * @example
 * const proxy = await startTcpProxy(8545); await proxy.cut(); … await proxy.restore()
 */
export async function startTcpProxy(targetPort: number, scheme = 'http'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  let server: Server | undefined;
  let port = 0;
  const listen = async () => {
    server = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      sockets.add(client).add(upstream);
      const pair: [Socket, Socket] = [client, upstream];
      pairs.add(pair);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
        pairs.delete(pair);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    port = (server!.address() as { port: number }).port;
  };
  await listen();
  const cut = async () => {
    const closing = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
  };
  return {
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    cut,
    stall() {
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream).pause();
        upstream.unpipe(client).pause();
      }
    },
    restore: listen,
    close: cut,
  };
}
