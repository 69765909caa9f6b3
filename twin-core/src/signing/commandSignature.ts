import { secp256k1 } from '@noble/curves/secp256k1';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils';
import { cryptoBackend, keccak256 } from '../crypto/cryptoBackend';
import { canonicalJson } from '../encoding/canonicalJson';
import { fromHex, toHex, uintToWord, type Hex } from '../encoding/hex';
import type { SignedCommand, UnsignedCommand } from '../messages/command';
import { uncompressedKeyToAddress, type PrivateKey } from './deviceKey';
import { eip712Digest, type Eip712Domain } from './eip712';

/** Which deployment a command is for: the chain and the TwinRegistry whose owner signs it (the EIP-712 domain). */
export type CommandDomainParameters = { chainId: number | bigint; registry: string };

/** The EIP-712 domain name and version of signed commands. */
export const COMMAND_DOMAIN = { name: 'TwinCommand', version: '1' } as const;

/** The EIP-712 types of a signed command, as `signTypedData` (ethers, EIP-1193 wallets) takes them. */
export const COMMAND_TYPES = {
  Command: [
    { name: 'deviceId', type: 'bytes32' },
    { name: 'command', type: 'string' },
    { name: 'arguments', type: 'string' },
    { name: 'nonce', type: 'uint256' },
    { name: 'expiry', type: 'uint64' },
  ],
} as const;

/** A command as EIP-712 typed data: what a wallet shows and signs (`arguments` is the args' canonical JSON). */
export type CommandTypedData = {
  domain: Eip712Domain;
  types: typeof COMMAND_TYPES;
  primaryType: 'Command';
  message: { deviceId: Hex; command: string; arguments: string; nonce: bigint; expiry: bigint };
};

const COMMAND_TYPEHASH = keccak256(
  utf8ToBytes('Command(bytes32 deviceId,string command,string arguments,uint256 nonce,uint64 expiry)'),
);

/**
 * The command as EIP-712 typed data, for a signer that is not a raw key (a wallet's `eth_signTypedData_v4`, ethers'
 * `signTypedData`): the same signature as {@link signCommand}.
 *
 * @example
 * const { domain, types, message } = commandTypedData(command, { chainId: 31337, registry })
 * const sig = await wallet.signTypedData(domain, types, message)
 */
export function commandTypedData(
  command: UnsignedCommand | SignedCommand,
  parameters: CommandDomainParameters,
): CommandTypedData {
  return {
    domain: {
      ...COMMAND_DOMAIN,
      chainId: BigInt(parameters.chainId),
      verifyingContract: parameters.registry.toLowerCase() as Hex,
    },
    types: COMMAND_TYPES,
    primaryType: 'Command',
    message: {
      deviceId: command.deviceId as Hex,
      command: command.command,
      arguments: canonicalJson(command.args),
      nonce: BigInt(command.nonce),
      expiry: BigInt(command.expiry),
    },
  };
}

/**
 * The EIP-712 digest of a command: what its owner signs, and its command ID.
 *
 * @example
 * const commandId = hashCommand(command, { chainId: 31337, registry })
 */
export function hashCommand(command: UnsignedCommand | SignedCommand, parameters: CommandDomainParameters): Hex {
  const { domain, message } = commandTypedData(command, parameters);
  const structHash = keccak256(
    concatBytes(
      COMMAND_TYPEHASH,
      fromHex(message.deviceId),
      keccak256(utf8ToBytes(message.command)),
      keccak256(utf8ToBytes(message.arguments)),
      uintToWord(message.nonce),
      uintToWord(message.expiry),
    ),
  );
  return toHex(eip712Digest(domain, structHash));
}

/**
 * Signs a command with the owner's key (the CLI and tests; a dashboard signs {@link commandTypedData} with its
 * wallet instead).
 *
 * @example
 * const command = signCommand({ v: 1, kind: 'command', deviceId, command: 'ping', args: {}, nonce, expiry }, ownerKey, domain)
 */
export function signCommand(
  command: UnsignedCommand,
  key: PrivateKey,
  parameters: CommandDomainParameters,
): SignedCommand {
  const signature = secp256k1.sign(fromHex(hashCommand(command, parameters)), fromHex(key), { lowS: true });
  return {
    ...command,
    sig: toHex(concatBytes(signature.toCompactRawBytes(), new Uint8Array([27 + signature.recovery]))),
  };
}

const HALF_CURVE_ORDER = secp256k1.CURVE.n >> 1n;

/**
 * The address that signed a command for this deployment, or undefined when `sig` is not a canonical signature
 * (65 bytes, v 27/28, low s). The caller compares it with the twin's current owner.
 *
 * @example
 * if (recoverCommandSigner(command, domain)?.toLowerCase() !== owner.toLowerCase()) refuse('not-owner')
 */
export function recoverCommandSigner(command: SignedCommand, parameters: CommandDomainParameters): Hex | undefined {
  try {
    const bytes = fromHex(command.sig);
    if (bytes.length !== 65) return undefined;
    const v = bytes[64]!;
    if (v !== 27 && v !== 28) return undefined;
    const s = BigInt(toHex(bytes.subarray(32, 64)));
    if (s === 0n || s > HALF_CURVE_ORDER) return undefined;
    const publicKey = cryptoBackend().recoverPublicKey(
      fromHex(hashCommand(command, parameters)),
      bytes.subarray(0, 64),
      (v - 27) as 0 | 1,
    );
    return publicKey === undefined ? undefined : uncompressedKeyToAddress(publicKey);
  } catch {
    return undefined;
  }
}
