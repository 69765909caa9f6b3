/**
 * The baseline of the API benchmark: a bare `node:http` server in its own process answering every request with the
 * same JSON body (a twin view the API served), nothing else: no routing, middleware, store or cache. What this machine
 * serves per second with nothing but Node's HTTP stack, measured in the same run as the API (issue 15: the twin view
 * also given as a ratio to it).
 *
 * argv[2]: a file holding the body. Reports `{ type: 'ready', port }` over IPC; stops on `{ type: 'stop' }`, SIGTERM
 * or when the parent goes away.
 *
 * @example
 * spawnEntry({ entry: 'bench/api/bareHttpProcess.ts', args: [bodyFile] })
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

function main(): void {
  const file = process.argv[2];
  if (file === undefined) throw new Error('usage: bareHttpProcess.ts <body file>');
  const body = readFileSync(file);
  const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': String(body.length) };
  const server = createServer((_request, response) => {
    response.writeHead(200, headers);
    response.end(body);
  });
  server.keepAliveTimeout = 60_000;
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('message', (message: { type?: string }) => message.type === 'stop' && stop());
  process.on('disconnect', stop);
  process.once('SIGTERM', stop);
  server.listen(0, '127.0.0.1', () => {
    process.send?.({ type: 'ready', port: (server.address() as { port: number }).port });
  });
}

main();
