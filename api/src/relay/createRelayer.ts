import { getAddress, type Provider, type Signer, type TypedDataDomain } from 'ethers';
import type { Deployment } from '../../../twin-core/src/deployment/deployment';
import { TwinForwarder__factory, type TwinForwarder } from '../../../typechain-types';
import { ApiError } from '../errors';
import type { PrepareBody, RelayBody, RelayResult, TypedForwardRequest } from './forwardRequest';
import { prepareRequest } from './prepareRequest';
import { relayRequest, type RelayExpectation } from './relayRequest';
import { createSendQueue, type SendQueue } from './sendQueue';
import type { BudgetStanding, RelayBudget } from './relayBudget';

/** Parameters of {@link createRelayer}. */
export type CreateRelayerParameters = {
  /** The relayer's key: an ethers Wallet (or any Signer) connected to a provider. It pays the gas. */
  wallet: Signer;
  /** Where the registry is: `contracts.TwinForwarder`, `contracts.TwinRegistry` and `chainId` are used. */
  deployment: Pick<Deployment, 'chainId'> & {
    contracts: Pick<Deployment['contracts'], 'TwinForwarder' | 'TwinRegistry'>;
  };
  /** Most gas a request may ask for (default 500,000). */
  maxGas?: bigint | number | undefined;
  /** Confirmations to wait for before answering, at least 1 (default 1). */
  confirmations?: number | undefined;
  /** Per-entity budgets in gas and requests, checked before broadcast (default: none). */
  budget?: RelayBudget | undefined;
  /**
   * Runs each send (the nonce read, signing and broadcast) holding a lock shared with every instance relaying with
   * this key (runApi: `withAdvisoryLock` on the index), so two API instances never take the same relayer nonce.
   * Default: none (the sends of this process are still serialised).
   */
  sendLock?: (<result>(task: () => Promise<result>) => Promise<result>) | undefined;
};

/** What the relayer spent since start. */
export type RelayerSpend = {
  /** Transactions mined. */
  relayed: number;
  /** Gas they used. */
  gasUsed: bigint;
  /** Wei they cost (gas used × effective gas price). */
  weiSpent: bigint;
  /** Requests refused for an exhausted budget. */
  overBudget: number;
};

/** Relays users' signed requests to the TwinRegistry through the TwinForwarder. */
export type Relayer = {
  /** The EIP-712 `ForwardRequest` a user signs for `action`, with its nonce, gas and deadline filled in. */
  prepare(parameters: PrepareBody): Promise<TypedForwardRequest>;
  /** Checks a signed request, simulates it, checks the signer's budget, then submits it and waits for its receipt. */
  relay(body: RelayBody, expect?: RelayExpectation): Promise<RelayResult>;
  /** The relayer's account. */
  address(): Promise<string>;
  /** The relayer's balance now, wei. */
  balance(): Promise<bigint>;
  /** What it spent since start. */
  spend(): RelayerSpend;
  /** An entity's budget standing (undefined without budgets). */
  budgetOf(entity: string): Promise<BudgetStanding | undefined>;
};

/** What {@link prepareRequest} and {@link relayRequest} share: the relayer's connections and settings. */
export type RelayContext = {
  wallet: Signer;
  provider: Provider;
  /** The forwarder, connected to the relayer's wallet. */
  forwarder: TwinForwarder;
  /** The TwinRegistry address, checksummed: the only target. */
  registry: string;
  maxGas: bigint;
  confirmations: number;
  /** The forwarder's EIP-712 domain, read from the chain once. */
  domain: () => Promise<
    TypedDataDomain & { name: string; version: string; chainId: number; verifyingContract: string }
  >;
  /** Serialises the relayer's sends (in this process, and with `sendLock` across instances). */
  queue: SendQueue;
  /** `from:nonce` of the requests being relayed now, so a request submitted twice is sent once. */
  inFlight: Set<string>;
  budget: RelayBudget | undefined;
  /** Counted by `relayRequest`. */
  spend: RelayerSpend;
};

/**
 * A relayer for the API: `prepare` builds the EIP-712 request a user signs, `relay` checks and submits it with the
 * relayer's own key, so the registry acts for the user and the API never holds the user's key. Every failure is an
 * ApiError.
 *
 * @example
 * const relayer = createRelayer({ wallet: new Wallet(key, provider), deployment })
 * const typed = await relayer.prepare({ from: user, action: 'setState', deviceId, args: { state: 'suspended', reason } })
 * const signature = await signer.signTypedData(typed.domain, typed.types, typed.message)
 * const { txHash } = await relayer.relay({ request: typed.message, signature }, { actions: ['setState'], deviceId })
 */
export function createRelayer(parameters: CreateRelayerParameters): Relayer {
  const { wallet, deployment, confirmations = 1 } = parameters;
  const provider = wallet.provider;
  if (provider === null) {
    throw new ApiError('The relayer wallet has no provider.', { status: 500, code: 'relay-misconfigured' });
  }
  if (!Number.isInteger(confirmations) || confirmations < 1) {
    throw new ApiError(`The relayer needs at least 1 confirmation, got ${confirmations}.`, {
      status: 500,
      code: 'relay-misconfigured',
    });
  }
  const forwarder = TwinForwarder__factory.connect(deployment.contracts.TwinForwarder, wallet);
  let domain: ReturnType<RelayContext['domain']> | undefined;
  const context: RelayContext = {
    wallet,
    provider,
    forwarder,
    registry: getAddress(deployment.contracts.TwinRegistry),
    maxGas: BigInt(parameters.maxGas ?? 500_000n),
    confirmations,
    domain: () => {
      domain ??= readDomain(forwarder, deployment.chainId).catch((error: unknown) => {
        domain = undefined;
        throw error;
      });
      return domain;
    },
    queue: createSendQueue(parameters.sendLock === undefined ? {} : { lock: parameters.sendLock }),
    inFlight: new Set(),
    budget: parameters.budget,
    spend: { relayed: 0, gasUsed: 0n, weiSpent: 0n, overBudget: 0 },
  };
  return {
    prepare: (body) => prepareRequest(context, body),
    relay: (body, expect) => relayRequest(context, body, expect),
    address: () => wallet.getAddress(),
    balance: async () => provider.getBalance(await wallet.getAddress()),
    spend: () => ({ ...context.spend }),
    budgetOf: async (entity) => context.budget?.standing(entity),
  };
}

async function readDomain(forwarder: TwinForwarder, chainId: number) {
  let domain: Awaited<ReturnType<TwinForwarder['eip712Domain']>>;
  try {
    domain = await forwarder.eip712Domain();
  } catch (error) {
    throw new ApiError('Cannot read the forwarder from the chain.', {
      status: 502,
      code: 'chain-unavailable',
      cause: error,
    });
  }
  if (Number(domain.chainId) !== chainId) {
    throw new ApiError(`The forwarder is on chain ${domain.chainId}, the deployment says ${chainId}.`, {
      status: 500,
      code: 'relay-misconfigured',
    });
  }
  return {
    name: domain.name,
    version: domain.version,
    chainId,
    verifyingContract: getAddress(domain.verifyingContract),
  };
}
