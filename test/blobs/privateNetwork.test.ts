import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { computeBlobCid } from '../../blobs/src';
import { freePort } from '../helpers/brokers';
import { startNetworkNode, writeSwarmKey, type NetworkNode } from './networkNodes';
import { pseudoRandomBytes } from './referenceDag';
import { rejectionOf } from './rejectionOf';

const LOCAL = (port: number) => `/ip4/127.0.0.1/tcp/${port}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `condition` holds on the node's status (peers connect within a redial interval). */
async function until(node: NetworkNode, condition: (status: Awaited<ReturnType<NetworkNode['status']>>) => boolean) {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (condition(await node.status())) return;
    await sleep(200);
  }
  throw new Error(`condition never held: ${JSON.stringify(await node.status())}`);
}

describe('blobs: private IPFS network of embedded Helia nodes (separate processes, real libp2p)', function () {
  this.timeout(180_000);
  let directory: string;
  let key: string;
  const nodes: NetworkNode[] = [];
  const start = async (name: string, ipfs: Record<string, string>) => {
    const node = await startNetworkNode(join(directory, name), { IPFS_FETCH_TIMEOUT_MS: '3000', ...ipfs });
    nodes.push(node);
    return node;
  };

  before(function () {
    directory = mkdtempSync(join(tmpdir(), 'blobs-network-'));
    key = writeSwarmKey(directory);
  });
  after(async function () {
    await Promise.all(nodes.map((node) => node.close()));
    rmSync(directory, { recursive: true, force: true });
  });

  describe('when two nodes share the swarm key', function () {
    let a: NetworkNode;
    let b: NetworkNode;
    let aPort: number;
    const small = new TextEncoder().encode(JSON.stringify({ kind: 'snapshot', seq: 7, note: 'added on A' }));
    const large = pseudoRandomBytes(700 * 1024, 11); // a 3-leaf UnixFS DAG
    let smallCid: string;
    let largeCid: string;

    before(async function () {
      aPort = await freePort();
      a = await start('a', { IPFS_SWARM_KEY_FILE: key, IPFS_LISTEN: LOCAL(aPort) });
      b = await start('b', { IPFS_SWARM_KEY_FILE: key, IPFS_LISTEN: 'none', IPFS_PEERS: a.address });
      smallCid = await a.add(small);
      largeCid = await a.add(large);
    });

    it('reads on B a blob added on A, verified, and pins its replica', async function () {
      expect(a.address).to.equal(`${LOCAL(aPort)}/p2p/${a.ready.peerId}`);
      expect(await b.call('has', { cid: smallCid })).to.equal(false);
      expect(await b.get(smallCid)).to.deep.equal(Buffer.from(small));
      const read = await b.get(largeCid);
      expect(await computeBlobCid(read)).to.equal(largeCid);
      expect(read.equals(Buffer.from(large))).to.equal(true);
      for (const cid of [smallCid, largeCid]) {
        expect(await b.call('has', { cid })).to.equal(true);
        expect(await b.call('isPinned', { cid })).to.equal(true);
      }
      expect((await b.status()).peers).to.deep.equal([
        { multiaddr: a.address, peerId: a.ready.peerId, connected: true },
      ]);
      expect(await b.call<string>('describe')).to.include('1 of 1 configured peers connected');
    });

    it('serves both ways over one connection: A reads what B added, though A lists no peer', async function () {
      const bytes = new TextEncoder().encode('evidence added on B');
      const cid = await b.add(bytes);
      expect(await a.get(cid)).to.deep.equal(Buffer.from(bytes));
    });

    it('gives BlobNotFoundError, naming the CID, for a blob no peer holds (after the fetch timeout, no hang)', async function () {
      const missing = await computeBlobCid(randomBytes(64));
      const error = await rejectionOf(b.get(missing));
      expect(error.name).to.equal('BlobNotFoundError');
      expect(error.message).to.include(missing).and.include('no peer sent it within 3000 ms');
      expect(error.message).to.include('1 of 1 configured peers connected');
      // Nothing of a failed fetch is kept.
      expect(await b.call('has', { cid: missing })).to.equal(false);
    });

    it('keeps its peer ID across a restart (identity in <dataDir>/ipfs/peer-key, mode 0600), and reconnects', async function () {
      const before = b.ready.peerId;
      await b.close();
      nodes.splice(nodes.indexOf(b), 1);
      const mode = statSync(join(directory, 'b', 'ipfs', 'peer-key')).mode & 0o777;
      expect(mode.toString(8)).to.equal('600');
      b = await start('b', { IPFS_SWARM_KEY_FILE: key, IPFS_LISTEN: 'none', IPFS_PEERS: a.address });
      expect(b.ready.peerId).to.equal(before);
      // The replica survived the restart: read without A.
      await until(b, (status) => status.peers[0]!.connected);
      expect(await b.get(smallCid)).to.deep.equal(Buffer.from(small));
    });

    it('redials a configured peer that restarted', async function () {
      const bytes = new TextEncoder().encode('added after the restart of A');
      await a.close();
      nodes.splice(nodes.indexOf(a), 1);
      await until(b, (status) => !status.peers[0]!.connected);
      a = await start('a', { IPFS_SWARM_KEY_FILE: key, IPFS_LISTEN: LOCAL(aPort) });
      const cid = await a.add(bytes);
      await until(b, (status) => status.peers[0]!.connected);
      expect(await b.get(cid)).to.deep.equal(Buffer.from(bytes));
    });

    it('with IPFS_KEEP_FETCHED=drop reads without storing; with keep stores unpinned; pin fetches what is missing', async function () {
      const peer = { IPFS_SWARM_KEY_FILE: key, IPFS_LISTEN: 'none', IPFS_PEERS: a.address };
      const [dropping, keeping] = await Promise.all([
        start('drop', { ...peer, IPFS_KEEP_FETCHED: 'drop' }),
        start('keep', { ...peer, IPFS_KEEP_FETCHED: 'keep' }),
      ]);
      expect((await dropping.get(largeCid)).equals(Buffer.from(large))).to.equal(true);
      expect(await dropping.call('has', { cid: largeCid })).to.equal(false);
      expect(await keeping.get(largeCid)).to.have.length(large.length);
      expect(await keeping.call('has', { cid: largeCid })).to.equal(true);
      expect(await keeping.call('isPinned', { cid: largeCid })).to.equal(false);
      await keeping.call('pin', { cid: smallCid });
      expect(await keeping.call('isPinned', { cid: smallCid })).to.equal(true);
      expect(await keeping.call('has', { cid: smallCid })).to.equal(true);
    });

    describe('when a node has another key', function () {
      let c: NetworkNode;
      before(async function () {
        c = await start('c', {
          IPFS_SWARM_KEY_FILE: writeSwarmKey(directory, 'other.key'),
          IPFS_LISTEN: 'none',
          IPFS_PEERS: a.address,
        });
      });

      it('cannot connect, and cannot fetch a blob A holds', async function () {
        const connectionsOfA = (await a.status()).connections;
        await sleep(2_500); // more than one redial interval
        expect((await c.status()).peers[0]!.connected).to.equal(false);
        expect((await c.status()).connections).to.equal(0);
        const error = await rejectionOf(c.get(smallCid));
        expect(error.name).to.equal('BlobNotFoundError');
        expect(error.message).to.include('0 of 1 configured peers connected');
        expect((await a.status()).connections).to.equal(connectionsOfA);
        expect(c.logs.some((line) => line.message === 'ipfs: cannot reach peer; retrying')).to.equal(true);
      });

      it('learns nothing from A: before the key check A sends only a random nonce, no peer ID or protocol', async function () {
        const received = await new Promise<Buffer>((resolve, reject) => {
          const chunks: Buffer[] = [];
          let said = false;
          // A's nonce is read before anything A cannot decrypt is sent: A then resets the connection, and data still
          // unread when a reset arrives is lost (on a loaded machine this reader can be that slow).
          const socket = connect(aPort, '127.0.0.1', () => socket.write(randomBytes(24))); // a nonce
          socket.on('data', (chunk) => {
            chunks.push(chunk);
            if (said || Buffer.concat(chunks).length < 24) return;
            said = true;
            socket.write('/multistream/1.0.0\n/noise\n'); // what a dialler without the key would say
            socket.write(randomBytes(4_096)); // and more that A cannot decrypt into anything
          });
          // A closes or resets the connection: either ends it.
          socket.on('error', (error: NodeJS.ErrnoException) =>
            error.code === 'ECONNRESET' ? undefined : reject(error),
          );
          socket.on('close', () => resolve(Buffer.concat(chunks)));
          setTimeout(() => socket.destroy(new Error('A kept the connection open')), 20_000).unref();
        });
        // A closed the connection itself; all it sent is its 24-byte nonce.
        expect(received.length).to.equal(24);
        expect(received.includes(Buffer.from(a.ready.peerId))).to.equal(false);
        expect(received.includes(Buffer.from('/multistream'))).to.equal(false);
        expect(received.includes(Buffer.from('noise'))).to.equal(false);
      });
    });

    describe('when a configured peer ID is not the one the node at that address holds', function () {
      it('does not connect (the peer ID is authenticated), so nothing is fetched from an impostor', async function () {
        const impostor = await start('impostor-view', {
          IPFS_SWARM_KEY_FILE: key,
          IPFS_LISTEN: 'none',
          IPFS_PEERS: `${LOCAL(aPort)}/p2p/${b.ready.peerId}`, // A's address, B's ID
        });
        await sleep(2_500);
        expect((await impostor.status()).connections).to.equal(0);
        const error = await rejectionOf(impostor.get(smallCid));
        expect(error.name).to.equal('BlobNotFoundError');
      });
    });
  });

  describe('dialling: only the configured peers, nothing public', function () {
    let a: NetworkNode;
    let b: NetworkNode;
    let trap: Server;
    let trapConnections = 0;

    before(async function () {
      const aPort = await freePort();
      const cPort = await freePort();
      a = await start('dial-a', { IPFS_SWARM_KEY_FILE: key, IPFS_LISTEN: LOCAL(aPort) });
      b = await start('dial-b', { IPFS_SWARM_KEY_FILE: key, IPFS_LISTEN: 'none', IPFS_PEERS: a.address });
      // C has the key and dials A: A learns C's listen address (identify) over a connection A did not open.
      const c = await start('dial-c', { IPFS_SWARM_KEY_FILE: key, IPFS_LISTEN: LOCAL(cPort), IPFS_PEERS: a.address });
      await until(a, (status) => status.connections === 2);
      const onlyOnC = await c.add(new TextEncoder().encode('held by C alone'));
      expect(await a.get(onlyOnC)).to.deep.equal(Buffer.from('held by C alone')); // served over C's connection
      await c.close();
      nodes.splice(nodes.indexOf(c), 1);
      // Whatever connects to C's old address now is A dialling a peer it was not given.
      trap = createServer((socket) => {
        trapConnections++;
        socket.destroy();
      });
      await new Promise<void>((resolve) => trap.listen(cPort, '127.0.0.1', resolve));
    });
    after(async function () {
      await new Promise((resolve) => trap.close(resolve));
    });

    it('never dials a node that dialled in, even while wanting a block only it could have', async function () {
      const wanted = await computeBlobCid(randomBytes(100));
      const error = await rejectionOf(a.get(wanted));
      expect(error.name).to.equal('BlobNotFoundError');
      await sleep(2_500); // another redial round
      expect(trapConnections).to.equal(0);
      const status = await a.status();
      expect(status.connections).to.equal(1); // B only
      expect(status.peers).to.deep.equal([]);
    });

    it('never attempted a connection, a UDP socket or a DNS query other than to its configured peers', async function () {
      expect(await a.dials()).to.deep.equal([]); // A lists no peer: it never connected anywhere
      const dials = await b.dials();
      const aTarget = `127.0.0.1:${a.address.split('/')[4]}`;
      expect(dials.length).to.be.greaterThan(0);
      expect(dials.filter((dial) => dial.kind !== 'tcp' || dial.target !== aTarget)).to.deep.equal([]);
    });

    it('holds no UDP socket (no mDNS, no QUIC, no WebRTC) and TCP only to its listener or a configured peer', async function () {
      for (const [node, peers] of [
        [a, []],
        [b, [a.address]],
      ] as const) {
        const listening = node.ready.listening.map((address) => address.split('/')[4]!);
        const peerPorts = peers.map((address) => address.split('/')[4]!);
        const sockets = await node.sockets();
        expect(sockets.filter((socket) => socket.protocol.startsWith('udp'))).to.deep.equal([]);
        for (const socket of sockets) {
          const localPort = socket.local.split(':').pop()!;
          const remotePort = socket.remote.split(':').pop()!;
          const host = socket.remote.replace(/:\d+$/, '');
          const inbound = listening.includes(localPort);
          const toPeer = peerPorts.includes(remotePort) && host === '127.0.0.1';
          expect(inbound || toPeer, `unexpected socket ${JSON.stringify(socket)}`).to.equal(true);
        }
      }
    });
  });
});
