import { connect } from 'node:net';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabError, PYTHON, type Lab } from './createLab';

/** The services of the lab's network namespace and how the device names them. */
export type LabServices = {
  /** HTTPS (openssl s_server, self-signed certificate), `https://svc.lab:443/`. */
  https: { host: string; address: string; port: number };
  /** DNS (dnsmasq) answering `svc.lab`, `beacon.lab`, the alias `www.svc.lab` (CNAME) and the reverse names. */
  dns: { address: string; port: number; names: string[] };
  /** MQTT broker (Debian's Mosquitto, anonymous on the lab link only). */
  broker: { address: string; port: number; fromHost: string };
  /** UDP sink (a Python process that reads and drops datagrams). */
  udpSink: { address: string; port: number };
  /** TCP sink (a Python process that accepts every connection and drops what it reads). */
  tcpSink: { address: string; port: number };
};

const MOSQUITTO = ['/usr/sbin/mosquitto', 'mosquitto'];

async function waitForTcp(host: string, port: number, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, host);
      socket.setTimeout(500, () => socket.destroy());
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.once('close', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new LabError(`${what} did not start`, { details: `nothing on ${host}:${port}` });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Starts the network namespace's real services: an HTTPS server with a self-signed certificate made by openssl,
 * dnsmasq as the DNS server (the device's resolv.conf points at it), Mosquitto as the broker (also reachable from
 * the host for the judge), and a UDP sink. Each is a child process of the lab, ended by `lab.close()`.
 *
 * @example
 * const services = await startLabServices(lab)
 * services.broker.fromHost // 'mqtt://10.99.1.2:1883'
 */
export async function startLabServices(lab: Lab): Promise<LabServices> {
  const address = lab.network.address;
  const key = join(lab.directory, 'svc-key.pem');
  const cert = join(lab.directory, 'svc-cert.pem');
  lab.runIn(lab.network, 'openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
    '-days', '2', '-subj', '/CN=svc.lab', '-addext', 'subjectAltName=DNS:svc.lab,DNS:www.svc.lab',
  ]);
  lab.spawnIn(lab.network, 'openssl', ['s_server', '-quiet', '-accept', '443', '-cert', cert, '-key', key, '-www']);
  lab.spawnIn(lab.network, 'dnsmasq', [
    '--keep-in-foreground', '--no-resolv', '--no-hosts',
    `--host-record=svc.lab,${address}`, `--host-record=beacon.lab,${address}`, `--host-record=device.lab,${lab.device.address}`,
    `--listen-address=${address}`, '--bind-interfaces',
    '--cname=www.svc.lab,svc.lab', `--pid-file=${join(lab.directory, 'dnsmasq.pid')}`, '--cache-size=0', '--quiet-dhcp',
  ]);
  const mosquittoConfig = join(lab.directory, 'mosquitto.conf');
  writeFileSync(mosquittoConfig, `listener 1883 0.0.0.0\nallow_anonymous true\npersistence false\nlog_dest none\n`);
  const mosquitto = MOSQUITTO.find((path) => !path.startsWith('/') || existsSync(path))!;
  lab.spawnIn(lab.network, mosquitto, ['-c', mosquittoConfig]);
  lab.spawnIn(lab.network, PYTHON, [
    '-c',
    `import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('${address}',9999))\nwhile True: s.recv(65535)`,
  ]);
  lab.spawnIn(lab.network, PYTHON, [
    '-c',
    [
      'import selectors, socket',
      'sel = selectors.DefaultSelector()',
      "server = socket.socket(); server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
      `server.bind(('${address}', 9000)); server.listen(1024); server.setblocking(False)`,
      'sel.register(server, selectors.EVENT_READ)',
      'while True:',
      '    for key, _ in sel.select():',
      '        if key.fileobj is server:',
      '            conn, _ = server.accept(); conn.setblocking(False); sel.register(conn, selectors.EVENT_READ)',
      '        else:',
      '            try: data = key.fileobj.recv(65536)',
      '            except OSError: data = b""',
      '            if not data: sel.unregister(key.fileobj); key.fileobj.close()',
    ].join('\n'),
  ]);
  // The device resolves through dnsmasq: /etc/netns/<name>/resolv.conf is bind-mounted by `ip netns exec`.
  const etc = `/etc/netns/${lab.device.name}`;
  mkdirSync(etc, { recursive: true });
  writeFileSync(join(etc, 'resolv.conf'), `nameserver ${address}\nsearch lab\n`);
  await waitForTcp(lab.networkFromHost, 1883, 10_000, 'mosquitto');
  await new Promise((resolve) => setTimeout(resolve, 300)); // the sinks bind on the lab link only
  await waitForTcp(lab.networkFromHost, 443, 10_000, 'the HTTPS server (openssl s_server)');
  const pidFile = join(lab.directory, 'dnsmasq.pid');
  for (let waited = 0; !existsSync(pidFile); waited += 100) {
    if (waited > 10_000) throw new LabError('dnsmasq did not start', { details: `no ${pidFile}` });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    https: { host: 'svc.lab', address, port: 443 },
    dns: { address, port: 53, names: ['svc.lab', 'beacon.lab', 'www.svc.lab'] },
    broker: { address, port: 1883, fromHost: `mqtt://${lab.networkFromHost}:1883` },
    udpSink: { address, port: 9999 },
    tcpSink: { address, port: 9000 },
  };
}
