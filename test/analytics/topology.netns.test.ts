import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { buildTopology, observeSnapshot, topologySnapshotSchema, whatIf, type Topology } from '../../analytics/src';
import { ensureBuilt } from '../../scripts/ensureBuilt';
import { runProcess } from '../helpers/runProcess';

const ROOT = resolve(__dirname, '..', '..');
const CLI = join(ROOT, 'agent', 'dist', 'agent', 'src', 'cli.js');

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
const inNamespace = (namespace: string, ...args: string[]) => ip('netns', 'exec', namespace, ...args);

/** A TCP server (port given) or a client holding connections open (host:port …), run with this Node in a namespace. */
const SERVER = `require('net').createServer((s) => s.on('error', () => {})).listen(Number(process.argv[1]), () => console.log('ready'))`;
const CLIENT = `const net = require('net'); let open = 0; const all = process.argv.slice(1);
for (const target of all) { const [host, port] = target.split(':'); const s = net.connect(Number(port), host, () => { if (++open === all.length) console.log('ready'); }); s.on('error', (e) => { console.error(e.message); process.exit(1); }); }`;

/**
 * The real agent in real network namespaces: a sensor A (10.201.1.2) whose default gateway is twin B (10.201.1.1,
 * forwarding), and an upstream host C (10.201.2.2) that is no twin, B's own default gateway. A holds TCP connections
 * to a broker port on B and to port 443 on C; `twin-agent once --print` runs in A and B, and their snapshots build the
 * topology.
 */
describe('analytics: the topology of real snapshots from the real agent in network namespaces', function () {
  this.timeout(120_000);
  const prefix = `topo${randomBytes(2).toString('hex')}`;
  const namespaces = { a: `${prefix}-a`, b: `${prefix}-b`, c: `${prefix}-c` };
  const children: ChildProcess[] = [];
  let directory: string;
  let topology: Topology;
  let deviceA: string;
  let deviceB: string;
  let macC: string;

  /** Starts `script` in a namespace and waits for it to print `ready`. */
  async function start(namespace: string, script: string, ...args: string[]): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, '-e', script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      let errors = '';
      child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
      child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`${script.slice(0, 40)}… exited ${code}: ${errors}`)));
    });
  }

  /** One signed snapshot from the built agent CLI inside `namespace`. */
  async function snapshot(namespace: string, serial: string): Promise<{ deviceId: string; body: unknown }> {
    const config = join(directory, `${serial}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        dataDir: join(directory, serial),
        identity: { serialNumber: serial, manufacturer: 'Topology Lab' },
      }),
    );
    const run = await runProcess(
      'ip',
      ['netns', 'exec', namespace, process.execPath, CLI, 'once', '--print', '--config', config],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: directory },
      },
    );
    if (run.code !== 0) throw new Error(`twin-agent once in ${namespace} exited ${run.code}: ${run.stderr}`);
    return JSON.parse(run.stdout) as { deviceId: string; body: unknown };
  }

  before(async function () {
    if (process.getuid?.() !== 0) {
      console.log('    skipped: network namespaces need root (run the tests as root, e.g. in CI)');
      this.skip();
    }
    try {
      ip('netns', 'add', namespaces.a);
    } catch (error) {
      console.log(`    skipped: cannot create a network namespace (${(error as Error).message.split('\n')[0]})`);
      this.skip();
    }
    ip('netns', 'add', namespaces.b);
    ip('netns', 'add', namespaces.c);
    ensureBuilt(['agent']);
    directory = mkdtempSync(join(tmpdir(), 'topology-netns-'));
    ip('link', 'add', `${prefix}a0`, 'type', 'veth', 'peer', 'name', `${prefix}b0`);
    ip('link', 'add', `${prefix}b1`, 'type', 'veth', 'peer', 'name', `${prefix}c0`);
    ip('link', 'set', `${prefix}a0`, 'netns', namespaces.a);
    ip('link', 'set', `${prefix}b0`, 'netns', namespaces.b);
    ip('link', 'set', `${prefix}b1`, 'netns', namespaces.b);
    ip('link', 'set', `${prefix}c0`, 'netns', namespaces.c);
    const configure: Array<[string, string, string]> = [
      [namespaces.a, `${prefix}a0`, '10.201.1.2/24'],
      [namespaces.b, `${prefix}b0`, '10.201.1.1/24'],
      [namespaces.b, `${prefix}b1`, '10.201.2.1/24'],
      [namespaces.c, `${prefix}c0`, '10.201.2.2/24'],
    ];
    for (const [namespace, device, address] of configure) {
      inNamespace(namespace, 'ip', 'address', 'add', address, 'dev', device);
      inNamespace(namespace, 'ip', 'link', 'set', device, 'up');
      inNamespace(namespace, 'ip', 'link', 'set', 'lo', 'up');
    }
    inNamespace(namespaces.a, 'ip', 'route', 'add', 'default', 'via', '10.201.1.1');
    inNamespace(namespaces.b, 'ip', 'route', 'add', 'default', 'via', '10.201.2.2');
    inNamespace(namespaces.c, 'ip', 'route', 'add', '10.201.1.0/24', 'via', '10.201.2.1');
    inNamespace(namespaces.b, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1');
    await start(namespaces.b, SERVER, '1883');
    await start(namespaces.c, SERVER, '443');
    await start(namespaces.a, CLIENT, '10.201.1.1:1883', '10.201.2.2:443');
    macC = JSON.parse(
      execFileSync('ip', ['netns', 'exec', namespaces.c, 'ip', '-j', 'link', 'show', `${prefix}c0`], {
        encoding: 'utf8',
      }),
    )[0].address;

    const snapshots = [await snapshot(namespaces.a, 'topology-a'), await snapshot(namespaces.b, 'topology-b')];
    [deviceA, deviceB] = snapshots.map((message) => message.deviceId) as [string, string];
    topology = buildTopology({
      observations: snapshots.map((message) =>
        observeSnapshot(message.deviceId, topologySnapshotSchema.parse(message.body)),
      ),
    });
  });

  after(function () {
    for (const child of children) if (child.pid !== undefined && child.exitCode === null) child.kill();
    for (const namespace of Object.values(namespaces)) {
      try {
        ip('netns', 'del', namespace);
      } catch {
        // never created (skipped)
      }
    }
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  });

  const link = (id: string) => topology.links.find((candidate) => candidate.id === id);

  it('makes A and B twins, B the gateway of A, and the upstream host C a gateway node by its MAC', function () {
    const hostC = `host:10.201.2.2@${macC}`;
    expect(topology.nodes.map((node) => [node.id, node.kind])).to.deep.include.members([
      [deviceA, 'twin'],
      [deviceB, 'twin'],
      [hostC, 'gateway'],
    ]);
    expect(topology.nodes.find((node) => node.id === deviceB)!.gatewayFor).to.deep.equal([deviceA]);
    const addressesB = topology.nodes.find((node) => node.id === deviceB)!.addresses;
    expect(addressesB.filter((address) => !address.startsWith('fe80:')).sort()).to.deep.equal([
      '10.201.1.1',
      '10.201.2.1',
    ]);
    expect(topology.nodes.find((node) => node.id === hostC)!.gatewayFor).to.deep.equal([deviceB]);
    expect(link(`route:${deviceA}>${deviceB}`)!.observations[0]!.destinations).to.deep.equal(['0.0.0.0/0']);
    expect(link(`route:${deviceA}>${deviceB}`)!.observations[0]!.bytes).to.be.greaterThan(0);
  });

  it("links A's connection to B's port 1883 from both ends, and its connection to C through B", function () {
    const broker = link(`flow:${deviceA}>${deviceB}:tcp/1883`)!;
    expect(broker.observations.map((entry) => entry.by).sort()).to.deep.equal([deviceA, deviceB].sort());
    expect(broker.observations.every((entry) => entry.via === null && entry.connections === 1)).to.equal(true);
    const upstream = link(`flow:${deviceA}>host:10.201.2.2@${macC}:tcp/443`)!;
    expect(upstream.observations).to.have.length(1);
    expect(upstream.observations[0]).to.include({ by: deviceA, via: deviceB, connections: 1 });
    const neighbours = link(`neighbour:${[deviceA, deviceB].sort().join('|')}`)!;
    expect(neighbours.observations.map((entry) => entry.by).sort()).to.deep.equal([deviceA, deviceB].sort());
  });

  it('answers the what-if: isolating B cuts A off its gateway and peer and stops both its flows', function () {
    const result = whatIf(topology, [deviceB]);
    expect(result.lostGateway).to.deep.equal([{ deviceId: deviceA, gateways: [deviceB], routeLeft: false }]);
    expect(result.lostPeers).to.deep.equal([{ deviceId: deviceA, peers: [deviceB] }]);
    expect(result.stoppedFlows.map((flow) => [flow.port, flow.reason, flow.via])).to.deep.include.members([
      [1883, 'endpoint-isolated', null],
      [443, 'gateway-lost', deviceB],
    ]);
    // The agent's own traffic (a DNS query, with flow records) may add flows: each stops for B, none for another reason.
    for (const flow of result.stoppedFlows) {
      if (flow.reason === 'endpoint-isolated') expect([flow.source, flow.target]).to.include(deviceB);
      else expect(flow.via).to.equal(deviceB);
    }
    expect(whatIf(topology, [deviceA]).lostGateway).to.deep.equal([]);
  });
});
