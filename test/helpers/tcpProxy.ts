import { createServer, connect, type Server, type Socket } from 'node:net';

/** A TCP proxy on 127.0.0.1 that a test can cut and restore, to make a real outage between two real parts. */
export type TcpProxy = {
  port: number;
  url: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
};

/**
 * Forwards 127.0.0.1:<port> to 127.0.0.1:<target>. `cut()` closes the listener and every connection (clients see
 * refused connections); `restore()` listens again on the same port.
 *
 * @example
 * const proxy = await startTcpProxy(8545); await proxy.cut(); … await proxy.restore()
 */
export async function startTcpProxy(targetPort: number, scheme = 'http'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = async () => {
    server = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
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
    restore: listen,
    close: cut,
  };
}
