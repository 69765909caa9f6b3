import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { TwinRecordBody } from '../../../twin-core/src/messages/oracleMessage';
import { recoverMessageSigner } from '../../../twin-core/src/signing/messageSignature';
import { checkTwinRecordBody, checkTwinRecordMessage } from '../validate/validators';

/** Who owns the twin now, and the EIP-712 domain its commands are signed for. */
export type KnownOwner = { owner: Hex; chainId: number; registry: Hex; state: TwinRecordBody['state'] };

/** Where a device learns its owner: the oracle's signed twin record, or the chain. */
export type OwnerSource = { current(): Promise<KnownOwner | undefined> };

/** Why a twin record was refused. */
export type TwinRecordRefusal = 'not-json' | 'invalid-record' | 'wrong-device' | 'untrusted-signer' | 'stale-record';

/**
 * The owner as the oracle's signed, retained twin record (`twins/{deviceId}/twin`) says: accepted only when signed by
 * one of the oracle keys pinned at provisioning, for this device, and of a `block` no older than the last accepted
 * one (an attacker replaying an old record cannot bring back a previous owner). The last record is kept in a file.
 *
 * @example
 * const owners = new TwinRecordOwnerSource({ deviceId, oracles: config.oracleAddresses, file })
 * publisher.on('message', (topic, payload) => topic.endsWith('/twin') && owners.accept(payload))
 */
export class TwinRecordOwnerSource implements OwnerSource {
  private record: TwinRecordBody | undefined;
  private readonly oracles: Set<string>;

  constructor(
    private readonly parameters: { deviceId: Hex; oracles: readonly string[]; file?: string | undefined },
  ) {
    this.oracles = new Set(parameters.oracles.map((address) => address.toLowerCase()));
    if (parameters.file === undefined) return;
    try {
      const checked = checkTwinRecordBody(JSON.parse(readFileSync(parameters.file, 'utf8')));
      this.record = checked.ok ? checked.value : undefined;
    } catch {
      this.record = undefined;
    }
  }

  async current(): Promise<KnownOwner | undefined> {
    const record = this.record;
    if (record === undefined) return undefined;
    return { owner: record.owner as Hex, chainId: record.chainId, registry: record.registry as Hex, state: record.state };
  }

  /** Takes a twin record from the broker; returns the reason when it is refused. */
  accept(payload: Buffer | string): { ok: true } | { ok: false; reason: TwinRecordRefusal } {
    let json: unknown;
    try {
      json = JSON.parse(payload.toString());
    } catch {
      return { ok: false, reason: 'not-json' };
    }
    const checked = checkTwinRecordMessage(json);
    if (!checked.ok) return { ok: false, reason: 'invalid-record' };
    const message = checked.value;
    if (message.deviceId !== this.parameters.deviceId) return { ok: false, reason: 'wrong-device' };
    const signer = recoverMessageSigner(message);
    if (signer === undefined || !this.oracles.has(signer.toLowerCase())) return { ok: false, reason: 'untrusted-signer' };
    if (this.record !== undefined && message.body.block < this.record.block) return { ok: false, reason: 'stale-record' };
    this.record = message.body;
    if (this.parameters.file !== undefined) {
      mkdirSync(dirname(this.parameters.file), { recursive: true, mode: 0o700 });
      writeFileSync(`${this.parameters.file}.tmp`, JSON.stringify(message.body), { mode: 0o600 });
      renameSync(`${this.parameters.file}.tmp`, this.parameters.file);
    }
    return { ok: true };
  }
}

/** The selector of `ownerOf(uint256)`. */
const OWNER_OF = '0x6352211e';

/**
 * The owner read from the chain (`TwinRegistry.ownerOf`) over JSON-RPC, for a device with an RPC endpoint; cached for
 * `cacheSeconds` (a sale applies within that). An unreachable node answers undefined (commands are refused).
 *
 * @example
 * const owners = new ChainOwnerSource({ rpcUrl, registry, deviceId, cacheSeconds: 10 })
 */
export class ChainOwnerSource implements OwnerSource {
  private cached: { at: number; owner: KnownOwner } | undefined;

  constructor(
    private readonly parameters: {
      rpcUrl: string;
      registry: Hex;
      deviceId: Hex;
      cacheSeconds: number;
      now?: () => number;
      fetch?: typeof fetch;
    },
  ) {}

  async current(): Promise<KnownOwner | undefined> {
    const now = (this.parameters.now ?? Date.now)();
    if (this.cached !== undefined && now - this.cached.at < this.parameters.cacheSeconds * 1000)
      return this.cached.owner;
    try {
      const [chainId, owner] = await Promise.all([
        this.call('eth_chainId', []),
        this.call('eth_call', [{ to: this.parameters.registry, data: OWNER_OF + this.parameters.deviceId.slice(2) }, 'latest']),
      ]);
      if (typeof owner !== 'string' || owner.length !== 66) return undefined;
      const known: KnownOwner = {
        owner: `0x${owner.slice(26)}` as Hex,
        chainId: Number(BigInt(chainId as string)),
        registry: this.parameters.registry,
        state: 'active',
      };
      this.cached = { at: now, owner: known };
      return known;
    } catch {
      return undefined;
    }
  }

  private async call(method: string, params: unknown[]): Promise<unknown> {
    const response = await (this.parameters.fetch ?? fetch)(this.parameters.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: AbortSignal.timeout(5_000),
    });
    const body = (await response.json()) as { result?: unknown; error?: { message: string } };
    if (body.error !== undefined) throw new Error(body.error.message);
    return body.result;
  }
}
