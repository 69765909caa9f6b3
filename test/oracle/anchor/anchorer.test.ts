import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadFixture } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import { expect } from 'chai';
import { ethers, network } from 'hardhat';
import { AnchorDeferredError, Anchorer, AnchorRejectedError } from '../../../oracle/src/anchor/anchorer';
import { createChainProvider } from '../../../oracle/src/chain/createChainProvider';
import { buildSnapshotTree } from '../../../twin-core/src/merkle/snapshotTree';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import { registryFixture } from '../../fixtures';

const ORACLE_KEY = ethers.Wallet.createRandom().privateKey;

async function anchorerFixture() {
  const fixture = await registryFixture();
  const wallet = new ethers.Wallet(ORACLE_KEY, ethers.provider);
  await fixture.admin.sendTransaction({ to: wallet.address, value: ethers.parseEther('1') });
  await fixture.entities.grantRole(await fixture.entities.ORACLE_ROLE(), wallet.address);
  return { ...fixture, wallet };
}

function tree(salt: string) {
  return buildSnapshotTree(
    Array.from({ length: 5 }, (_, index) => ({
      deviceId: BigInt(index + 1),
      sequence: BigInt(index),
      snapshotHash: ethers.id(`${salt}-${index}`) as Hex,
    })),
  );
}

/** Mines a block every few ms while `during` runs, as a chain with its own block time would. */
async function withBlocks<result>(during: () => Promise<result>): Promise<result> {
  const miner = setInterval(() => void network.provider.send('evm_mine', []), 20);
  try {
    return await during();
  } finally {
    clearInterval(miner);
  }
}

describe('Anchorer', function () {
  describe('when the oracle anchors a new root', function () {
    it('sends one transaction and resolves once it has the configured confirmations', async function () {
      const { anchor, wallet } = await loadFixture(anchorerFixture);
      const anchorer = new Anchorer({ wallet, anchorAddress: await anchor.getAddress(), confirmations: 3, pollMs: 10 });
      const batch = tree('first');
      const nonceBefore = await ethers.provider.getTransactionCount(wallet.address);
      const result = await withBlocks(() => anchorer.anchor(batch.root, batch.leafCount, 'bafy-manifest'));
      expect(result.batchId).to.equal(1n);
      expect(result.txHash).to.match(/^0x[0-9a-f]{64}$/);
      expect(await ethers.provider.getBlockNumber()).to.be.greaterThanOrEqual(result.blockNumber + 3);
      expect(await ethers.provider.getTransactionCount(wallet.address)).to.equal(nonceBefore + 1);
      expect(await anchor.isAnchored(batch.root)).to.equal(true);
      expect(result.gasUsed).to.be.greaterThan(0n);
    });
  });

  describe('when several batches are anchored at once on a chain without automine', function () {
    it('signs them in turn with consecutive nonces, so every one lands, sharing blocks', async function () {
      this.timeout(30_000); // two transactions with one nonce would leave one waiting forever
      const { anchor, wallet } = await loadFixture(anchorerFixture);
      const anchorer = new Anchorer({ wallet, anchorAddress: await anchor.getAddress(), confirmations: 1, pollMs: 10 });
      const batches = ['a', 'b', 'c', 'd', 'e'].map((salt) => tree(`concurrent-${salt}`));
      const nonceBefore = await ethers.provider.getTransactionCount(wallet.address);
      await network.provider.send('evm_setAutomine', [false]);
      try {
        const miner = setInterval(() => void network.provider.send('evm_mine', []), 150);
        const results = await Promise.all(
          batches.map((batch) => anchorer.anchor(batch.root, batch.leafCount, `bafy-${batch.root.slice(2, 10)}`)),
        ).finally(() => clearInterval(miner));
        const transactions = await Promise.all(results.map((result) => ethers.provider.getTransaction(result.txHash!)));
        expect(transactions.map((transaction) => transaction!.nonce)).to.have.members(
          batches.map((_, index) => nonceBefore + index),
        );
        for (const batch of batches) expect(await anchor.isAnchored(batch.root)).to.equal(true);
        expect(new Set(results.map((result) => result.batchId)).size).to.equal(batches.length);
        expect(new Set(results.map((result) => result.blockNumber)).size).to.be.lessThan(batches.length);
      } finally {
        await network.provider.send('evm_setAutomine', [true]);
      }
    });
  });

  describe('when the node leaves a request unanswered (ganache 7 with an eth_estimateGas during a block)', function () {
    it("the oracle's provider fails it after its timeout and the anchoring goes on, one transaction sent", async function () {
      const { anchor, wallet } = await loadFixture(anchorerFixture);
      // The Hardhat node over HTTP, never answering the first eth_estimateGas (nor the rest of its batch).
      let unanswered = 0;
      const server = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => (body += chunk.toString()));
        request.on('end', () => {
          const payload = JSON.parse(body) as { id: number; method: string; params?: unknown[] }[] | { id: number };
          const calls = [payload].flat() as { id: number; method: string; params?: unknown[] }[];
          if (unanswered === 0 && calls.some((call) => call.method === 'eth_estimateGas')) {
            unanswered++;
            return;
          }
          void Promise.all(
            calls.map((call) =>
              network.provider.request({ method: call.method, params: call.params ?? [] }).then(
                (result) => ({ jsonrpc: '2.0', id: call.id, result }),
                (error: { code?: number; message: string; data?: unknown }) => ({
                  jsonrpc: '2.0',
                  id: call.id,
                  error: { code: error.code ?? -32000, message: error.message, data: error.data },
                }),
              ),
            ),
          ).then((answers) => {
            response.setHeader('content-type', 'application/json');
            response.end(JSON.stringify(Array.isArray(payload) ? answers : answers[0]));
          });
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      const provider = createChainProvider({
        rpcUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        chainId: Number((await ethers.provider.getNetwork()).chainId),
        timeoutMs: 500,
      });
      try {
        const retries: string[] = [];
        const anchorer = new Anchorer({
          wallet: wallet.connect(provider),
          anchorAddress: await anchor.getAddress(),
          confirmations: 0,
          pollMs: 10,
          retryMinMs: 10,
          onRetry: (error) => retries.push(error.message),
        });
        const batch = tree('unanswered');
        const nonce = await ethers.provider.getTransactionCount(wallet.address);
        const result = await anchorer.anchor(batch.root, batch.leafCount, 'bafy-u');
        expect(unanswered).to.equal(1);
        // The retry names the timeout (not a decoding error of revert data the failed request never had).
        expect(retries, retries.join('\n')).to.have.length(1);
        expect(retries[0]).to.match(/timeout/i);
        expect(await anchor.isAnchored(batch.root)).to.equal(true);
        expect(result.txHash).to.match(/^0x[0-9a-f]{64}$/);
        expect(await ethers.provider.getTransactionCount(wallet.address)).to.equal(nonce + 1);
      } finally {
        provider.destroy();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });
  });

  describe('when the root is already on chain (a restart after sending)', function () {
    it('reports the existing batch and sends nothing', async function () {
      const { anchor, wallet } = await loadFixture(anchorerFixture);
      const anchorer = new Anchorer({ wallet, anchorAddress: await anchor.getAddress(), confirmations: 0, pollMs: 10 });
      const batch = tree('again');
      await anchorer.anchor(batch.root, batch.leafCount, 'bafy-1');
      const nonce = await ethers.provider.getTransactionCount(wallet.address);
      const again = await anchorer.anchor(batch.root, batch.leafCount, 'bafy-1');
      expect(again.batchId).to.equal(1n);
      expect(again.txHash).to.equal(null);
      expect(await ethers.provider.getTransactionCount(wallet.address)).to.equal(nonce);
    });
  });

  describe('when the oracle restarts between signing and sending', function () {
    it('sends the transaction it kept, never a second one for the same root', async function () {
      const { anchor, wallet } = await loadFixture(anchorerFixture);
      const anchorer = new Anchorer({ wallet, anchorAddress: await anchor.getAddress(), confirmations: 0, pollMs: 10 });
      const batch = tree('restart');
      const nonce = await ethers.provider.getTransactionCount(wallet.address);
      let kept = '';
      const crashed = await anchorer
        .anchor(batch.root, batch.leafCount, 'bafy-r', {
          onSigned: (raw) => {
            kept = raw;
            throw new Error('killed right after keeping the transaction');
          },
        })
        .then(
          () => 'sent',
          (error: Error) => error.message,
        );
      expect(crashed).to.equal('killed right after keeping the transaction');
      expect(await ethers.provider.getTransactionCount(wallet.address)).to.equal(nonce);
      const restarted = new Anchorer({
        wallet,
        anchorAddress: await anchor.getAddress(),
        confirmations: 0,
        pollMs: 10,
      });
      const result = await restarted.anchor(batch.root, batch.leafCount, 'bafy-r', { signed: kept });
      expect(result.txHash).to.equal(ethers.keccak256(kept));
      expect(await ethers.provider.getTransactionCount(wallet.address)).to.equal(nonce + 1);
    });
  });

  describe('when the nonce of the kept transaction went to another transaction with the same key', function () {
    it('signs the root anew at a free nonce and anchors it once, reporting why', async function () {
      const { anchor, wallet } = await loadFixture(anchorerFixture);
      const anchorAddress = await anchor.getAddress();
      const batch = tree('nonce-taken');
      let kept = '';
      await new Anchorer({ wallet, anchorAddress, confirmations: 0, pollMs: 10 })
        .anchor(batch.root, batch.leafCount, 'bafy-n', {
          onSigned: (raw) => {
            kept = raw;
            throw new Error('killed right after keeping the transaction');
          },
        })
        .catch(() => undefined);
      const keptNonce = ethers.Transaction.from(kept).nonce;
      // Another transaction from the oracle's key takes that nonce first (ganache then answers "the tx doesn't have
      // the correct nonce", geth "nonce too low"): the kept bytes can never be mined.
      await (await wallet.sendTransaction({ to: wallet.address, value: 1n, nonce: keptNonce })).wait();
      const retries: string[] = [];
      const signed: string[] = [];
      const result = await new Anchorer({
        wallet,
        anchorAddress,
        confirmations: 0,
        pollMs: 10,
        onRetry: (error) => retries.push(error.message),
      }).anchor(batch.root, batch.leafCount, 'bafy-n', { signed: kept, onSigned: (raw) => void signed.push(raw) });
      expect(
        retries.some((message) => message.includes(`nonce ${keptNonce} of tx`)),
        retries.join('\n'),
      ).to.equal(true);
      expect(signed).to.have.length(1);
      expect(ethers.Transaction.from(signed[0]!).nonce).to.equal(keptNonce + 1);
      expect(result.txHash).to.equal(ethers.keccak256(signed[0]!));
      expect((await anchor.batchOf(batch.root)).batchId).to.equal(result.batchId);
      expect(await ethers.provider.getTransactionCount(wallet.address)).to.equal(keptNonce + 2);
    });
  });

  describe('when the oracle stops (release) on an instamine chain', function () {
    it('an anchoring waiting for confirmations ends deferred with its transaction, mined, without a block more', async function () {
      const { anchor, wallet } = await loadFixture(anchorerFixture);
      const anchorer = new Anchorer({ wallet, anchorAddress: await anchor.getAddress(), confirmations: 1, pollMs: 10 });
      const batch = tree('stopping');
      let sent = false;
      const anchoring = anchorer.anchor(batch.root, batch.leafCount, 'bafy-stop', { onSent: () => (sent = true) });
      // Mined at once; its confirmation needs a block the chain mines only with the next transaction.
      while (!(await anchor.isAnchored(batch.root))) await new Promise((resolve) => setTimeout(resolve, 10));
      const head = await ethers.provider.getBlockNumber();
      anchorer.release(10_000);
      const error = await anchoring.then(
        () => expect.fail('expected an AnchorDeferredError'),
        (thrown: unknown) => thrown as AnchorDeferredError,
      );
      expect(error).to.be.instanceOf(AnchorDeferredError);
      expect(error.txHash).to.match(/^0x[0-9a-f]{64}$/);
      expect(sent).to.equal(true);
      expect(await ethers.provider.getBlockNumber()).to.equal(head);
      // A new anchoring of a root on chain ends deferred too (the next start confirms it), sending nothing.
      const nonce = await ethers.provider.getTransactionCount(wallet.address);
      const again = await anchorer.anchor(batch.root, batch.leafCount, 'bafy-stop').catch((thrown: unknown) => thrown);
      expect(again).to.be.instanceOf(AnchorDeferredError);
      expect(await ethers.provider.getTransactionCount(wallet.address)).to.equal(nonce);
    });

    it('after the grace period, an anchoring behind an endpoint that fails ends deferred instead of retrying on', async function () {
      const { anchor } = await loadFixture(anchorerFixture);
      const unreachable = new ethers.JsonRpcProvider('http://127.0.0.1:9', 31337, { staticNetwork: true });
      try {
        const retries: number[] = [];
        const anchorer = new Anchorer({
          wallet: new ethers.Wallet(ORACLE_KEY, unreachable),
          anchorAddress: await anchor.getAddress(),
          confirmations: 1,
          retryMinMs: 30_000,
          onRetry: (_error, attempt) => retries.push(attempt),
        });
        const batch = tree('grace');
        const anchoring = anchorer.anchor(batch.root, batch.leafCount, 'bafy-grace').catch((thrown: unknown) => thrown);
        while (retries.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
        anchorer.release(200); // the 30 s backoff is cut short by the end of the grace period
        const error = await anchoring;
        expect(error).to.be.instanceOf(AnchorDeferredError);
        expect((error as AnchorDeferredError).txHash).to.equal(null);
      } finally {
        unreachable.destroy();
      }
    });
  });

  describe('when the key lacks the oracle role', function () {
    it('fails for good with the contract error named, without retrying', async function () {
      const { anchor } = await loadFixture(anchorerFixture);
      const stranger = new ethers.Wallet(ethers.Wallet.createRandom().privateKey, ethers.provider);
      const retries: string[] = [];
      const anchorer = new Anchorer({
        wallet: stranger,
        anchorAddress: await anchor.getAddress(),
        confirmations: 0,
        onRetry: (error) => retries.push(error.message),
      });
      const batch = tree('refused');
      let error: unknown;
      try {
        await anchorer.anchor(batch.root, batch.leafCount, 'bafy-x');
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(AnchorRejectedError);
      expect((error as Error).message).to.contain('SnapshotAnchorUnauthorizedOracle');
      expect(retries).to.deep.equal([]);
    });
  });
});

describe('Anchorer through an RPC outage (in-process JSON-RPC server behind a TCP proxy)', function () {
  this.timeout(60_000);

  it('retries with backoff while the endpoint is unreachable and anchors exactly once when it returns', async function () {
    const hre = await import('hardhat');
    const { TASK_NODE_CREATE_SERVER } = await import('hardhat/builtin-tasks/task-names');
    const { freePort } = await import('../../helpers/brokers');
    const { startTcpProxy } = await import('../../helpers/tcpProxy');
    const { anchor } = await loadFixture(anchorerFixture);
    const serverPort = await freePort();
    const server = (await hre.run(TASK_NODE_CREATE_SERVER, {
      hostname: '127.0.0.1',
      port: serverPort,
      provider: hre.network.provider,
    })) as {
      listen(): Promise<unknown>;
      close(): Promise<void>;
    };
    await server.listen();
    const proxy = await startTcpProxy(serverPort);
    const provider = new ethers.JsonRpcProvider(proxy.url, 31337, {
      staticNetwork: true,
      polling: true,
      pollingInterval: 50,
    });
    try {
      const wallet = new ethers.Wallet(ORACLE_KEY, provider);
      const retries: number[] = [];
      const anchorer = new Anchorer({
        wallet,
        anchorAddress: await anchor.getAddress(),
        confirmations: 0,
        retryMinMs: 50,
        retryMaxMs: 400,
        pollMs: 20,
        onRetry: (_error, attempt, waitMs) => retries.push(waitMs),
      });
      const nonce = await provider.getTransactionCount(wallet.address);
      await proxy.cut();
      const batch = tree('outage');
      const anchoring = anchorer.anchor(batch.root, batch.leafCount, 'bafy-outage');
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      expect(retries.length).to.be.greaterThan(2);
      expect(retries[retries.length - 1]).to.equal(400);
      await proxy.restore();
      const result = await anchoring;
      expect(result.batchId).to.equal(1n);
      expect(await ethers.provider.getTransactionCount(wallet.address)).to.equal(nonce + 1);
    } finally {
      provider.destroy();
      await proxy.close();
      await server.close();
    }
  });
});
