import { readFileSync, writeFileSync } from 'node:fs';
import { task, types } from 'hardhat/config';
import type { HardhatRuntimeEnvironment } from 'hardhat/types';
import { z } from 'zod';
import { formatDeviceId } from '../twin-core/src/identity/deviceId';
import { signMintAttestation } from '../twin-core/src/signing/mintAttestation';
import { twinMintFields } from '../twin-core/src/static/mintFields';
import { staticDocumentSchema } from '../twin-core/src/static/schema';
import { parseStaticDocument } from '../twin-core/src/static/staticDocument';
import { parseAddress, resolveSigner, runTask, taskError } from './lib/cli';
import { mintEntries, type MintEntry } from './lib/mint';
import { loadRegistry } from './lib/registry';

/** The format tag of a {@link SimulatedExport} file. */
export const SIMULATED_EXPORT_FORMAT = 'twin-registry/simulated-devices/v1';

/** One simulated device as exported: what minting its twin elsewhere needs (never its key). */
export type SimulatedExportDevice = {
  index: number;
  deviceId: string;
  deviceSigner: string;
  attestation: string;
  staticHash: string;
  staticCid: string;
  staticDocument: unknown;
};

/** The static documents, signers and attestations of a seed's simulated devices, for one manufacturer, chain and registry. */
export type SimulatedExport = {
  format: typeof SIMULATED_EXPORT_FORMAT;
  seed: string;
  chainId: number;
  registry: string;
  manufacturer: string;
  devices: SimulatedExportDevice[];
};

const hex = (digits: number) => z.string().regex(new RegExp(`^0x[0-9a-fA-F]{${digits}}$`));
const exportSchema = z.strictObject({
  format: z.literal(SIMULATED_EXPORT_FORMAT),
  seed: z.string(),
  chainId: z.number().int().positive(),
  registry: hex(40),
  manufacturer: hex(40),
  devices: z.array(
    z.strictObject({
      index: z.number().int().nonnegative(),
      deviceId: hex(64),
      deviceSigner: hex(40),
      attestation: hex(130),
      staticHash: hex(64),
      staticCid: z.string().min(1),
      staticDocument: staticDocumentSchema,
    }),
  ),
});

/** Parameters of {@link simulatedDevices}. */
export type SimulatedDevicesParameters = {
  seed: string;
  /** Devices `first` … `first + devices − 1` of the seed. */
  devices: number;
  first?: number;
  manufacturer: string;
  chainId: number;
  registry: string;
};

/**
 * The simulated devices of a seed, as the simulator makes them (`npm run agent -- simulate --seed S`), each with the
 * attestation its seeded device key signs for `manufacturer` on this chain and registry.
 *
 * @example
 * const exported = await simulatedDevices({ seed: '7', devices: 10, manufacturer, chainId: 31337, registry })
 */
export async function simulatedDevices(parameters: SimulatedDevicesParameters): Promise<SimulatedExport> {
  const { createVirtualDevice } = await import('../agent/src/simulate');
  const first = parameters.first ?? 0;
  const devices: SimulatedExportDevice[] = [];
  for (let index = first; index < first + parameters.devices; index++) {
    const device = createVirtualDevice(parameters.seed, index);
    const fields = twinMintFields(device.staticDocument);
    devices.push({
      index,
      deviceId: formatDeviceId(fields.deviceId),
      deviceSigner: device.address,
      attestation: signMintAttestation(device.privateKey, { ...parameters, deviceId: fields.deviceId }),
      staticHash: fields.staticHash,
      staticCid: fields.staticCid,
      staticDocument: device.staticDocument,
    });
  }
  return {
    format: SIMULATED_EXPORT_FORMAT,
    seed: parameters.seed,
    chainId: parameters.chainId,
    registry: parameters.registry,
    manufacturer: parameters.manufacturer,
    devices,
  };
}

type Range = { seed: string; devices: number; first: number };

function checkRange(args: Range): void {
  if (args.seed.length === 0) throw taskError("--seed must not be empty (the simulator's --seed).");
  if (!Number.isInteger(args.devices) || args.devices < 1) {
    throw taskError(`--devices must be a positive integer, got ${args.devices}.`);
  }
  if (!Number.isInteger(args.first) || args.first < 0) {
    throw taskError(`--first must be a non-negative integer, got ${args.first}.`);
  }
}

function readExport(file: string): SimulatedExport {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw taskError(`--file ${file}: ${(error as Error).message}`);
  }
  const parsed = exportSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw taskError(`--file ${file}: ${issue.path.join('.') || '(root)'} ${issue.message}`);
  }
  return parsed.data as SimulatedExport;
}

async function chainOf(hre: HardhatRuntimeEnvironment) {
  const registry = await loadRegistry(hre);
  return { registry, chainId: registry.deployment.chainId, address: registry.deployment.contracts.TwinRegistry };
}

task(
  'export-simulated',
  "Writes the simulator's static documents, signers and attestations for a manufacturer, to mint elsewhere",
)
  .addParam('seed', "The simulator's --seed")
  .addParam('devices', "How many devices (the simulator's --devices)", undefined, types.int)
  .addOptionalParam('first', 'Index of the first device', 0, types.int)
  .addParam('manufacturer', 'Address of the manufacturer that will mint them (it must hold their brands)')
  .addOptionalParam('chainId', "The target chain's ID (default: the --network's deployment)", undefined, types.int)
  .addOptionalParam('registry', "The target TwinRegistry's address (default: the --network's deployment)")
  .addParam('out', 'File to write (JSON)')
  .setAction(
    (
      args: Range & { manufacturer: string; chainId?: number; registry?: string; out: string },
      hre: HardhatRuntimeEnvironment,
    ) =>
      runTask(async () => {
        checkRange(args);
        const manufacturer = parseAddress(hre, 'manufacturer', args.manufacturer);
        let chainId = args.chainId;
        let registry = args.registry === undefined ? undefined : parseAddress(hre, 'registry', args.registry);
        if (chainId === undefined || registry === undefined) {
          const deployed = await chainOf(hre);
          chainId ??= deployed.chainId;
          registry ??= deployed.address;
        }
        const exported = await simulatedDevices({ ...args, manufacturer, chainId, registry });
        writeFileSync(args.out, `${JSON.stringify(exported, null, 2)}\n`);
        console.log(
          `${exported.devices.length} simulated devices of seed ${JSON.stringify(args.seed)} (from #${args.first}) ` +
            `written to ${args.out}, attested for ${manufacturer} on chain ${chainId}, registry ${registry}.`,
        );
        return exported;
      }),
  );

task('mint-simulated', "Mints the twins of the simulator's devices for a seed (the brand holder only)")
  .addOptionalParam('seed', "The simulator's --seed (or --file)")
  .addOptionalParam('devices', "How many devices (the simulator's --devices)", undefined, types.int)
  .addOptionalParam('first', 'Index of the first device', 0, types.int)
  .addOptionalParam('file', 'Mint what `export-simulated` wrote instead of deriving it from --seed')
  .addOptionalParam('inFlight', 'Mints sent before the first is mined (consecutive nonces)', 16, types.int)
  .addOptionalParam('from', 'Manufacturer account: index or address', '0')
  .setAction(
    (
      args: { seed?: string; devices?: number; first: number; file?: string; inFlight: number; from: string },
      hre: HardhatRuntimeEnvironment,
    ) =>
      runTask(async () => {
        const { registry, chainId, address } = await chainOf(hre);
        const manufacturer = await resolveSigner(hre, args.from);
        let exported: SimulatedExport;
        if (args.file !== undefined) {
          exported = readExport(args.file);
          const wanted = { chainId, registry: address.toLowerCase(), manufacturer: manufacturer.address.toLowerCase() };
          const given = {
            chainId: exported.chainId,
            registry: exported.registry.toLowerCase(),
            manufacturer: exported.manufacturer.toLowerCase(),
          };
          for (const key of ['chainId', 'registry', 'manufacturer'] as const) {
            if (wanted[key] !== given[key]) {
              throw taskError(`--file ${args.file} is attested for ${key} ${given[key]}, not ${wanted[key]} here.`);
            }
          }
        } else {
          if (args.seed === undefined || args.devices === undefined) {
            throw taskError('Give --seed and --devices (as the simulator takes them), or --file.');
          }
          const range = { seed: args.seed, devices: args.devices, first: args.first };
          checkRange(range);
          exported = await simulatedDevices({
            ...range,
            manufacturer: manufacturer.address,
            chainId,
            registry: address,
          });
        }
        const entries: MintEntry[] = exported.devices.map((device) => ({
          document: parseStaticDocument(device.staticDocument),
          deviceSigner: device.deviceSigner,
          attestation: device.attestation,
          staticCid: device.staticCid,
        }));
        let minted = 0;
        const outcomes = await mintEntries(registry, manufacturer, entries, {
          skipExisting: true,
          inFlight: args.inFlight,
          onProgress: (done, total, outcome) => {
            if (outcome.status === 'minted') minted++;
            if (done % 100 === 0 && done < total) console.log(`  ${done} of ${total}…`);
          },
        });
        const existed = outcomes.length - minted;
        console.log(
          `Minted ${minted} simulated device twin${minted === 1 ? '' : 's'} of seed ${JSON.stringify(exported.seed)}` +
            `${existed > 0 ? ` (${existed} already minted)` : ''} from ${manufacturer.address}.`,
        );
        if (exported.devices[0]?.index === 0) {
          console.log(
            `Run them: npm run agent -- simulate --devices ${exported.devices.length} --seed ${exported.seed}`,
          );
        }
        return { minted, existed, deviceIds: exported.devices.map((device) => device.deviceId) };
      }),
  );
