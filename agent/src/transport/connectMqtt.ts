import type { IClientOptions, MqttClient } from 'mqtt';
import { createConnection, isIP } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * Connects an mqtt.js client to `url` loading only what mqtt:// and mqtts:// need. mqtt.js's own `connect` loads
 * every transport it knows at the first connection (WebSocket, SOCKS, TLS, their native add-ons): about 15 MiB of
 * a device's RSS (issue 17). Here the client gets a stream builder of its own: a TCP socket, or for mqtts:// a TLS
 * one checked as mqtt.js checks it (`node:tls` loaded only then). ws:// and wss:// go through mqtt.js's `connect`.
 * Packets are written without mqtt-packet's number cache (`writeCache: false`, unless `options` says otherwise).
 *
 * @example
 * const client = connectMqtt('mqtts://broker.example:8883', { ca, rejectUnauthorized: true })
 */
export function connectMqtt(url: string, options: IClientOptions): MqttClient {
  const parsed = new URL(url);
  let protocol = parsed.protocol.replace(/:$/, '');
  if (protocol === 'ws' || protocol === 'wss') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('mqtt') as typeof import('mqtt')).connect(url, options);
  }
  if (protocol !== 'mqtt' && protocol !== 'mqtts') throw new Error(`unsupported broker URL scheme ${protocol}://`);
  // As mqtt.js: a client certificate means TLS.
  if (options.cert && options.key) protocol = 'mqtts';
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  const opts: IClientOptions = {
    // mqtt-packet's cache of every 16-bit number as its own Buffer: 65,536 of them, 6.5 MiB of heap (issue 17).
    writeCache: false,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...options,
    protocol: protocol as IClientOptions['protocol'],
    host,
    hostname: host,
    port: parsed.port ? Number(parsed.port) : protocol === 'mqtts' ? 8883 : 1883,
  };
  const build = protocol === 'mqtts' ? tlsStream : tcpStream;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { default: Client } = require('mqtt/lib/client') as { default: new (builder: unknown, options: IClientOptions) => MqttClient };
  const client = new Client((self: MqttClient) => build(self, opts), opts);
  // As mqtt.js: errors reach listeners, never the process.
  client.on('error', () => undefined);
  return client;
}

function tcpStream(_client: MqttClient, opts: IClientOptions): Duplex {
  return createConnection({ port: opts.port!, host: opts.hostname! });
}

/** mqtt.js's TLS stream: servername from the host name, an unauthorised broker refused unless told otherwise. */
function tlsStream(client: MqttClient, opts: IClientOptions): Duplex {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tls = require('node:tls') as typeof import('node:tls');
  const rejectUnauthorized = opts.rejectUnauthorized !== false;
  const connection = tls.connect({
    ...(opts as object),
    host: opts.hostname!,
    port: opts.port!,
    rejectUnauthorized,
    ...(isIP(opts.hostname!) === 0 && !opts.servername ? { servername: opts.hostname! } : {}),
  } as import('node:tls').ConnectionOptions);
  const onError = (error: Error) => {
    if (rejectUnauthorized) client.emit('error', error);
    connection.end();
  };
  connection.on('secureConnect', () => {
    if (rejectUnauthorized && !connection.authorized) connection.emit('error', new Error('TLS not authorized'));
    else connection.removeListener('error', onError);
  });
  connection.on('error', onError);
  return connection;
}
