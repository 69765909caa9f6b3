import { HardhatError } from 'hardhat/internal/core/errors';
import { HardhatPluginError } from 'hardhat/plugins';
import type { HardhatRuntimeEnvironment } from 'hardhat/types';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import type { Interface } from 'ethers';
import { BaseError } from '../../twin-core/src/errors/BaseError';

const PLUGIN = 'twin-registry';
/** Hardhat's HH108: the network's JSON-RPC endpoint does not answer. */
const NODE_IS_NOT_RUNNING = 108;
/** Prices are uint96 wei on chain. */
const MAX_PRICE_WEI = 1n << 96n;
const MAX_PRICE_ETHER = '79228162514.26';

/** A task failed for a reason the user can fix; Hardhat prints the message without a stack trace. */
export function taskError(message: string): HardhatPluginError {
  return new HardhatPluginError(PLUGIN, message);
}

/**
 * The signer `from` names: an index into the network's accounts (`0`, `1`, …) or one of their addresses.
 *
 * @example
 * const manufacturer = await resolveSigner(hre, args.from)
 */
export async function resolveSigner(hre: HardhatRuntimeEnvironment, from: string): Promise<HardhatEthersSigner> {
  const signers = await hre.ethers.getSigners();
  if (/^\d+$/.test(from)) {
    const signer = signers[Number(from)];
    if (signer === undefined) {
      throw taskError(
        `--from ${from}: network ${hre.network.name} has ${signers.length} account(s) (0..${signers.length - 1}).`,
      );
    }
    return signer;
  }
  if (!hre.ethers.isAddress(from)) throw taskError(`--from must be an account index or an address, got "${from}".`);
  const signer = signers.find((candidate) => candidate.address.toLowerCase() === from.toLowerCase());
  if (signer === undefined) throw taskError(`--from ${from}: no key for this address on network ${hre.network.name}.`);
  return signer;
}

/** Reads an address parameter, naming it when it is not one. */
export function parseAddress(hre: HardhatRuntimeEnvironment, name: string, value: string): string {
  if (!hre.ethers.isAddress(value)) throw taskError(`--${name} must be an address, got "${value}".`);
  return hre.ethers.getAddress(value);
}

/** Reads an amount in ether (e.g. `0.5`) as wei, naming the parameter when it is not one. */
export function parseEther(hre: HardhatRuntimeEnvironment, name: string, value: string): bigint {
  try {
    const wei = hre.ethers.parseEther(value);
    if (wei >= 0n && wei < MAX_PRICE_WEI) return wei;
  } catch {
    // reported below
  }
  throw taskError(`--${name} must be an amount in ether from 0 to ${MAX_PRICE_ETHER}, such as 0.5; got "${value}".`);
}
/** ABIs whose custom errors {@link describeError} decodes, by contract name; {@link loadRegistry} fills it. */
export const knownContractErrors = new Map<string, Interface>();

/** The revert data an error carries, looking through the errors it wraps (Hardhat, ethers and JSON-RPC nest it). */
function revertData(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current = error as Record<string, any> | undefined;
  while (current !== null && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    // `data` is the revert data itself (Hardhat, geth), or holds it as `data` or as `result` (ganache).
    const data = typeof current.data === 'string' ? current.data : current.data?.data ?? current.data?.result;
    if (typeof data === 'string' && /^0x[0-9a-fA-F]{8}/.test(data)) return data;
    current = current.parent ?? current.cause ?? current.error ?? current.info?.error;
  }
  return undefined;
}

/** A revert decoded by the contract ABI, as `Name(arg, …)`; otherwise the error's own short message. */
export function describeError(error: unknown): string {
  const revert = (error as { revert?: { name: string; args: readonly unknown[] } }).revert;
  if (revert) return `${revert.name}(${revert.args.map((arg) => String(arg)).join(', ')})`;
  const data = revertData(error);
  if (data !== undefined) {
    for (const contractInterface of knownContractErrors.values()) {
      let decoded: ReturnType<Interface['parseError']> = null;
      try {
        decoded = contractInterface.parseError(data);
      } catch {
        // malformed arguments for that selector: try the next ABI
      }
      if (decoded) return `${decoded.name}(${decoded.args.map((arg) => String(arg)).join(', ')})`;
    }
  }
  if (error instanceof BaseError) return error.message;
  if (HardhatError.isHardhatError(error) && error.number === NODE_IS_NOT_RUNNING) {
    const network = /the network (\S+?)\./.exec(error.message)?.[1] ?? 'localhost';
    // RPC_URL may carry a provider's API key: only the local URL is shown.
    if (network === 'external') return 'Cannot reach the chain of --network external (RPC_URL): is the URL right?';
    const url = process.env.LOCAL_RPC_URL ?? 'http://127.0.0.1:8545';
    return (
      `Cannot reach the chain of --network ${network} at ${url}: is it running? LOCAL_RPC_URL names it ` +
      `(npm start -- --port 18545 is LOCAL_RPC_URL=http://127.0.0.1:18545).`
    );
  }
  const shortMessage = (error as { shortMessage?: string }).shortMessage;
  return shortMessage ?? (error as Error).message ?? String(error);
}

/**
 * Runs a task body; any failure becomes one clear message (a decoded contract error when there is one) and
 * no stack trace.
 *
 * @example
 * task('list').setAction((args, hre) => runTask(async () => { … }))
 */
export async function runTask<result>(body: () => Promise<result>): Promise<result> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof HardhatPluginError) throw error;
    throw new HardhatPluginError(PLUGIN, describeError(error), error as Error);
  }
}

/** A mined transaction, for the task's report. */
export type Confirmed = {
  hash: string;
  gasUsed: bigint;
  blockNumber: number;
  /** Its logs: which events it emitted (see {@link emitted}). */
  logs: readonly { address: string; topics: readonly string[] }[];
};

/** Sends a transaction and waits for it; returns its hash, gas used and logs for the task's report. */
export async function confirm(
  sent: Promise<{ wait(): Promise<(Omit<Confirmed, 'logs'> & { logs: Confirmed['logs'] }) | null> }>,
): Promise<Confirmed> {
  const receipt = await (await sent).wait();
  if (receipt === null) throw taskError('The transaction was dropped before it was mined.');
  return { hash: receipt.hash, gasUsed: receipt.gasUsed, blockNumber: receipt.blockNumber, logs: receipt.logs };
}

/**
 * Whether a mined transaction emitted `event` of `contract`. The contracts make a call that would change nothing a
 * no-op without an event (the state a twin already has, the signer it already has, a review already requested, a
 * role already held): a task tells the user so instead of claiming a change.
 *
 * @example
 * if (!emitted(tx, twins, 'TwinStateChanged')) console.log(`Twin ${id} is already suspended: nothing changed`)
 */
export function emitted(
  tx: Confirmed,
  contract: { interface: Interface; target: string | { toString(): string } },
  event: string,
): boolean {
  const topic = contract.interface.getEvent(event)!.topicHash;
  const address = String(contract.target).toLowerCase();
  return tx.logs.some((log) => log.topics[0] === topic && log.address.toLowerCase() === address);
}
