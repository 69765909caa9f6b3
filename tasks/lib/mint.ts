import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import { isError, Transaction, ZeroAddress, type TransactionReceipt, type TransactionResponse } from 'ethers';
import { formatDeviceId } from '../../twin-core/src/identity/deviceId';
import { recoverMintAttestationSigner } from '../../twin-core/src/signing/mintAttestation';
import { twinMintFields, type TwinMintFields } from '../../twin-core/src/static/mintFields';
import type { StaticDocument } from '../../twin-core/src/static/schema';
import { taskError } from './cli';
import type { Registry } from './registry';

/** One twin to mint: its static document, its device signer and the device's attestation, and a price. */
export type MintEntry = {
  document: StaticDocument;
  /** The device signer address (the device key's). */
  deviceSigner: string;
  /** The device key's EIP-712 attestation for the manufacturer, this chain and this registry. */
  attestation: string;
  /** Listing price in wei; 0 or absent mints unlisted. */
  price?: bigint;
  /** The document's CID when it is not the default CIDv1 raw. */
  staticCid?: string;
};

/** What minting one entry did. */
export type MintOutcome = TwinMintFields & {
  /** `minted`, or `existed` when the twin was already there and `skipExisting` was set. */
  status: 'minted' | 'existed';
  hash?: string;
  gasUsed?: bigint;
  blockNumber?: number;
};

/** Options of {@link mintEntries}. */
export type MintEntriesOptions = {
  /** Leave twins that already exist alone instead of failing (re-running a bulk mint finishes it). */
  skipExisting?: boolean;
  /**
   * Transactions in flight at once (default 1: each mint is mined before the next is sent). Above 1 they carry
   * explicit consecutive nonces, so a chain with a block time takes several per block without replacing one another.
   */
  inFlight?: number;
  /** Called after each entry is minted or found existing. */
  onProgress?: (done: number, total: number, outcome: MintOutcome) => void;
};

/**
 * Mints twins from `manufacturer`, checking first what the contract would refuse, with one clear message: every
 * identity's brand must be held by the manufacturer, and every attestation must recover to its device signer for
 * this manufacturer, chain and registry. Every mint's gas is estimated before the first is sent (a revert is
 * reported by name and nothing is sent), and every transaction is mined before the function returns (its signed
 * bytes sent again while it is not).
 *
 * @example
 * const [outcome] = await mintEntries(registry, manufacturer, [{ document, deviceSigner, attestation }])
 */
export async function mintEntries(
  registry: Registry,
  manufacturer: HardhatEthersSigner,
  entries: readonly MintEntry[],
  options: MintEntriesOptions = {},
): Promise<MintOutcome[]> {
  const { entities, twins, deployment } = registry;
  const account = manufacturer.address;
  const fields = entries.map((entry) => twinMintFields(entry.document, entry.staticCid));

  for (const brand of new Set(entries.map((entry) => entry.document.identity.manufacturer))) {
    const [holder, approved] = await entities.brandHolder(brand);
    const holds = holder.toLowerCase() === account.toLowerCase();
    if (!holds || !approved) {
      const why = holds
        ? `it holds the brand but is not an approved manufacturer`
        : holder === ZeroAddress
        ? 'nobody holds the brand'
        : `the brand is held by ${holder}`;
      throw taskError(
        `${account} may not mint "${brand}" devices: ${why}. A manufacturer registers its brand with ` +
          `\`npx hardhat register-brand --brand "${brand}"\` and the registrar approves it (\`approve-brand\`).`,
      );
    }
  }
  const parameters = {
    manufacturer: account,
    chainId: deployment.chainId,
    registry: deployment.contracts.TwinRegistry,
  };
  entries.forEach((entry, index) => {
    const deviceId = fields[index]!.deviceId;
    const recovered = recoverMintAttestationSigner({ ...parameters, deviceId }, entry.attestation);
    if (recovered?.toLowerCase() !== entry.deviceSigner.toLowerCase()) {
      throw taskError(
        `The attestation of ${formatDeviceId(deviceId)} is not signed by its device signer ${entry.deviceSigner} for ` +
          `manufacturer ${account}, chain ${deployment.chainId} and registry ${parameters.registry} ` +
          `(it recovers to ${recovered ?? 'nothing: malformed'}); print it on the device with ` +
          '`npm run agent -- identity --manufacturer-account … --chain-id … --registry …`.',
      );
    }
  });

  const asManufacturer = twins.connect(manufacturer);
  const argsOf = (index: number) => {
    const twin = fields[index]!;
    const entry = entries[index]!;
    return [
      twin.deviceId,
      twin.identity,
      twin.staticHash,
      twin.staticCid,
      entry.deviceSigner,
      entry.price ?? 0n,
      entry.attestation,
    ] as const;
  };
  const outcomes: MintOutcome[] = new Array(entries.length);
  let done = 0;
  // Every mint's gas is estimated before the first is sent: a revert is reported by name with nothing sent, and no
  // estimate is made while this account's mints are being mined (ganache 7 may never answer an eth_estimateGas made
  // while it builds a block that changes the contract).
  const toSend: { index: number; gasLimit: bigint }[] = [];
  for (const index of entries.keys()) {
    if (options.skipExisting && (await twins.exists(fields[index]!.deviceId))) {
      outcomes[index] = { ...fields[index]!, status: 'existed' };
      options.onProgress?.(++done, entries.length, outcomes[index]!);
      continue;
    }
    toSend.push({ index, gasLimit: ((await asManufacturer.mint.estimateGas(...argsOf(index))) * 12n) / 10n });
  }
  const inFlight = Math.max(1, Math.floor(options.inFlight ?? 1));
  let nonce = inFlight > 1 ? await manufacturer.provider.getTransactionCount(account, 'pending') : undefined;
  const pending: { index: number; sent: TransactionResponse }[] = [];
  const settle = async () => {
    const { index, sent } = pending.shift()!;
    const receipt = await mined(sent);
    if (receipt === null) throw taskError(`The mint of ${formatDeviceId(fields[index]!.deviceId)} was dropped.`);
    outcomes[index] = { ...fields[index]!, status: 'minted', ...pick(receipt) };
    options.onProgress?.(++done, entries.length, outcomes[index]!);
  };
  try {
    for (const { index, gasLimit } of toSend) {
      const overrides = nonce === undefined ? { gasLimit } : { gasLimit, nonce: nonce++ };
      // Each transaction is broadcast before the next is signed, so that the node holds nonce n before n + 1.
      const sent = await asManufacturer.mint(...argsOf(index), overrides);
      pending.push({ index, sent });
      if (pending.length >= inFlight) await settle();
    }
    while (pending.length > 0) await settle();
  } finally {
    // Whatever failed, what was sent is mined before the error is reported (nothing left behind half-sent).
    await Promise.allSettled(pending.map(({ sent }) => mined(sent)));
  }
  return outcomes;
}

/**
 * The receipt of `sent` once mined, its signed bytes broadcast again every `everyMs` until then: a node may hold a
 * transaction that arrived while it built the block with the one before it as a future one and never mine it
 * (ganache 7), and the same bytes sent again are taken as executable.
 */
async function mined(sent: TransactionResponse, everyMs = 5_000): Promise<TransactionReceipt | null> {
  const raw = Transaction.from(sent).serialized;
  for (;;) {
    try {
      return await sent.wait(1, everyMs);
    } catch (error) {
      if (!isError(error, 'TIMEOUT')) throw error;
    }
    // Refused when it is held or mined meanwhile: the next wait tells.
    await sent.provider.broadcastTransaction(raw).catch(() => undefined);
  }
}

function pick(receipt: { hash: string; gasUsed: bigint; blockNumber: number }) {
  return { hash: receipt.hash, gasUsed: receipt.gasUsed, blockNumber: receipt.blockNumber };
}
