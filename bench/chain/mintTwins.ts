import { performance } from 'node:perf_hooks';
import { createVirtualDevice } from '../../agent/src/simulate/device';
import { signMintAttestation } from '../../twin-core/src/signing/mintAttestation';
import { twinMintFields } from '../../twin-core/src/static/mintFields';
import { TwinRegistry__factory } from '../../typechain-types';
import { BENCH_CAST } from './deployBenchRegistry';
import type { BenchChain } from './startBenchChain';

/** Parameters of {@link mintTwins}. */
export type MintTwinsParameters = {
  chain: BenchChain;
  twinRegistry: string;
  /** The simulation seed: device `i` is `createVirtualDevice(seed, i)`, as the simulator makes it. */
  seed: string;
  /** Devices `from` … `to − 1` are minted. */
  from: number;
  to: number;
  /** Mints sent per mined block (default 150: 30 M block gas limit / ~170 k gas limit each). */
  perBlock?: number;
};

/** What minting cost. */
export type MintFigures = { twins: number; blocks: number; seconds: number; perSecond: number };

/**
 * Mints the twins of simulated devices in bulk, each with its seeded device key's attestation: automining off, `perBlock` transactions from the manufacturer
 * (explicit nonces, a fixed gas limit, sent concurrently so ethers batches them in JSON-RPC arrays and the node signs
 * them), then one `evm_mine` per group; checks `totalMinted` at the end. Leaves automining off.
 *
 * @example
 * await mintTwins({ chain, twinRegistry: deployment.contracts.TwinRegistry, seed: 'bench', from: 0, to: 10_000 })
 */
export async function mintTwins(parameters: MintTwinsParameters): Promise<MintFigures> {
  const { chain, seed, from, to } = parameters;
  const perBlock = parameters.perBlock ?? 150;
  const manufacturer = chain.wallet(BENCH_CAST.manufacturer);
  const twins = TwinRegistry__factory.connect(parameters.twinRegistry, manufacturer);
  const before = Number(await twins.totalMinted());
  const began = performance.now();
  const chainId = (await chain.provider.getNetwork()).chainId;
  const calldata = (index: number) => {
    const device = createVirtualDevice(seed, index);
    const twin = twinMintFields(device.staticDocument);
    const attestation = signMintAttestation(device.privateKey, {
      deviceId: twin.deviceId,
      manufacturer: manufacturer.address,
      chainId,
      registry: parameters.twinRegistry,
    });
    return twins.interface.encodeFunctionData('mint', [
      twin.deviceId,
      twin.identity,
      twin.staticHash,
      twin.staticCid,
      device.address,
      0n,
      attestation,
    ]);
  };
  // One estimate for all (the first twin of a manufacturer costs most), with a margin.
  const estimate = await chain.provider.estimateGas({
    from: manufacturer.address,
    to: twins.target,
    data: calldata(from),
  });
  const gas = `0x${((estimate * 13n) / 10n).toString(16)}`;
  const gasPrice = `0x${((await chain.provider.getFeeData()).gasPrice ?? 2_000_000_000n).toString(16)}`;
  await chain.provider.send('evm_setAutomine', [false]);
  let nonce = await chain.provider.getTransactionCount(manufacturer.address, 'latest');
  let blocks = 0;
  for (let start = from; start < to; start += perBlock) {
    const sends: Promise<unknown>[] = [];
    for (let index = start; index < Math.min(to, start + perBlock); index++) {
      const transaction = { from: manufacturer.address, to: twins.target, data: calldata(index), gas, gasPrice };
      sends.push(
        chain.provider.send('eth_sendTransaction', [{ ...transaction, nonce: `0x${(nonce++).toString(16)}` }]),
      );
    }
    await Promise.all(sends);
    await chain.provider.send('evm_mine', []);
    blocks++;
  }
  // Anything a full block left behind.
  for (let extra = 0; extra < 100; extra++) {
    const pending = await chain.provider.getTransactionCount(manufacturer.address, 'latest');
    if (pending >= nonce) break;
    await chain.provider.send('evm_mine', []);
    blocks++;
  }
  const minted = Number(await twins.totalMinted()) - before;
  if (minted !== to - from) throw new Error(`minted ${minted} twins, expected ${to - from}`);
  const seconds = (performance.now() - began) / 1000;
  return { twins: minted, blocks, seconds: Math.round(seconds * 10) / 10, perSecond: Math.round(minted / seconds) };
}
