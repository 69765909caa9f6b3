import { twinMintFields, type TwinMintFields } from '../../twin-core/src/static/mintFields';
import { parseStaticDocument } from '../../twin-core/src/static/staticDocument';

/** Everything `TwinRegistry.mint` takes for one device, but the signer, the price and the attestation. */
export type BenchTwin = TwinMintFields;

/**
 * The mint arguments of benchmark device `index`: a Raspberry Pi 4 whose MAC address and serial number are derived
 * from `index`, with every field the same length whatever `index` (below 65,536), so every mint pays for the same
 * calldata.
 *
 * @example
 * const twin = benchTwin(0)
 * await twins.mint(twin.deviceId, twin.identity, twin.staticHash, twin.staticCid, signer, 0n, attestation)
 */
export function benchTwin(index: number): BenchTwin {
  if (!Number.isInteger(index) || index < 0 || index > 0xffff) throw new RangeError(`bad bench device index ${index}`);
  const suffix = index.toString(16).padStart(4, '0');
  const document = parseStaticDocument({
    schemaVersion: 1,
    collectedAt: '2026-11-02T09:30:00.000Z',
    identity: {
      macAddress: `e4:5f:01:be:${suffix.slice(0, 2)}:${suffix.slice(2)}`,
      serialNumber: `10000000bench${suffix}`,
      manufacturer: 'Raspberry Pi Ltd',
      hardwareModel: 'Raspberry Pi 4 Model B',
      hardwareRevision: '1.5',
      memoryBytes: 8589934592,
      osName: 'Raspberry Pi OS',
      osVersion: '11 (bullseye)',
    },
    hardware: { architecture: 'armv7l', revisionCode: 'd03115' },
    os: { type: 'Linux', release: '6.1.21-v7l+', hostname: `bench-${suffix}` },
    network: { staticIp: null },
  });
  return twinMintFields(document);
}
