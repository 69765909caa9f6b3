import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { PrivateKey } from '../../../twin-core/src/signing/deviceKey';
import { signMintAttestation } from '../../../twin-core/src/signing/mintAttestation';
import { AgentError } from '../errors';

/** The `identity` options that ask for a mint attestation. */
export type AttestationOptions = {
  'manufacturer-account'?: string;
  'chain-id'?: string;
  registry?: string;
};

/** What `identity` prints for a mint: the attestation and what it binds it to. */
export type PrintedAttestation = {
  attestation: Hex;
  attestedFor: { manufacturer: Hex; chainId: number; registry: Hex };
};

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * The device key's EIP-712 consent to its twin, when `identity` is given `--manufacturer-account`, `--chain-id` and
 * `--registry` (all three, or none): what `npx hardhat mint --attestation` takes. Bad or missing options are named.
 *
 * @example
 * const printed = attestationFromOptions(values, info.key, info.deviceId) // undefined without the options
 */
export function attestationFromOptions(
  options: AttestationOptions,
  key: PrivateKey,
  deviceId: Hex,
): PrintedAttestation | undefined {
  const given = (['manufacturer-account', 'chain-id', 'registry'] as const).filter(
    (name) => options[name] !== undefined,
  );
  if (given.length === 0) return undefined;
  if (given.length < 3) {
    const missing = (['manufacturer-account', 'chain-id', 'registry'] as const).filter((name) => !given.includes(name));
    throw new AgentError(
      `A mint attestation needs --manufacturer-account, --chain-id and --registry; missing --${missing.join(', --')}.`,
    );
  }
  const manufacturer = options['manufacturer-account']!;
  if (!ADDRESS.test(manufacturer)) {
    throw new AgentError(`--manufacturer-account must be an address (0x + 40 hex digits), got "${manufacturer}".`);
  }
  const registry = options.registry!;
  if (!ADDRESS.test(registry)) {
    throw new AgentError(`--registry must be the TwinRegistry address (0x + 40 hex digits), got "${registry}".`);
  }
  const chainText = options['chain-id']!;
  const chainId = Number(chainText);
  if (!/^[1-9][0-9]*$/.test(chainText) || !Number.isSafeInteger(chainId)) {
    throw new AgentError(`--chain-id must be a positive integer, got "${chainText}".`);
  }
  const attestation = signMintAttestation(key, { deviceId, manufacturer, chainId, registry });
  return { attestation, attestedFor: { manufacturer: manufacturer as Hex, chainId, registry: registry as Hex } };
}
