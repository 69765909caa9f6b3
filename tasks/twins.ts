import { readFileSync } from 'node:fs';
import { task } from 'hardhat/config';
import { formatDeviceId, parseDeviceId } from '../twin-core/src/identity/deviceId';
import { parseStaticDocument } from '../twin-core/src/static/staticDocument';
import { confirm, emitted, parseAddress, parseEther, resolveSigner, runTask, taskError } from './lib/cli';
import { mintEntries } from './lib/mint';
import { TWIN_STATE_NAMES } from './lib/names';
import { loadRegistry } from './lib/registry';

/** Reads `--device` as a DeviceID (0x + 64 hex digits or decimal), naming the parameter when it is not one. */
export function deviceParam(value: string): bigint {
  try {
    return parseDeviceId(value);
  } catch {
    throw taskError(`--device must be a DeviceID (0x + 64 hex digits or a decimal uint256), got "${value}".`);
  }
}

task('mint', 'Creates the twin of a device from its static document and its attestation (the brand holder only)')
  .addParam('static', 'Path to the static document JSON (schemaVersion 1), as `agent identity --static-out` writes it')
  .addParam('signer', "Address of the device's agent key (`deviceSigner` in `agent identity`'s output)")
  .addParam(
    'attestation',
    "The device key's EIP-712 consent to this mint (`attestation` in the output of `agent identity " +
      '--manufacturer-account <the --from account> --chain-id <chain> --registry <TwinRegistry>`)',
  )
  .addOptionalParam('price', 'Initial price in ether; 0 mints without listing', '0')
  .addOptionalParam(
    'cid',
    'IPFS CID of the document (default: its CIDv1 raw/sha2-256, as `ipfs add --cid-version 1 --raw-leaves` gives)',
  )
  .addOptionalParam('from', 'Manufacturer account: index or address', '0')
  .setAction(
    (args: { static: string; signer: string; attestation: string; price: string; cid?: string; from: string }, hre) =>
      runTask(async () => {
        let json: unknown;
        try {
          json = JSON.parse(readFileSync(args.static, 'utf8'));
        } catch (error) {
          throw taskError(`--static ${args.static}: ${(error as Error).message}`);
        }
        const document = parseStaticDocument(json);
        const price = parseEther(hre, 'price', args.price);
        const signer = parseAddress(hre, 'signer', args.signer);
        if (!/^0x[0-9a-fA-F]{130}$/.test(args.attestation)) {
          throw taskError(
            `--attestation must be a 65-byte signature (0x + 130 hex digits), got "${args.attestation}".`,
          );
        }
        const registry = await loadRegistry(hre);
        const manufacturer = await resolveSigner(hre, args.from);
        const [minted] = await mintEntries(registry, manufacturer, [
          {
            document,
            deviceSigner: signer,
            attestation: args.attestation,
            price,
            ...(args.cid ? { staticCid: args.cid } : {}),
          },
        ]);
        const { deviceId, staticHash, staticCid, hash, gasUsed, blockNumber } = minted!;
        console.log(`Minted twin ${formatDeviceId(deviceId)}`);
        console.log(`  static hash ${staticHash}\n  static CID  ${staticCid}\n  tx ${hash} (gas ${gasUsed})`);
        return { deviceId: formatDeviceId(deviceId), staticHash, staticCid, hash, gasUsed, blockNumber };
      }),
  );

task('show-twin', "Shows a twin's on-chain record and its update and state histories")
  .addParam('device', 'DeviceID')
  .setAction((args: { device: string }, hre) =>
    runTask(async () => {
      const deviceId = deviceParam(args.device);
      const { twins, deployment } = await loadRegistry(hre);
      const twin = await twins.twinOf(deviceId);
      const fromBlock = deployment.deploymentBlock;
      const [minted] = await twins.queryFilter(twins.filters.TwinMinted(deviceId), fromBlock);
      const updates = await twins.queryFilter(twins.filters.DeviceUpdateRecorded(deviceId), fromBlock);
      const states = await twins.queryFilter(twins.filters.TwinStateChanged(deviceId), fromBlock);
      const shown = {
        deviceId: formatDeviceId(deviceId),
        owner: twin.owner,
        manufacturer: twin.manufacturer,
        deviceSigner: twin.deviceSigner,
        state: TWIN_STATE_NAMES[Number(twin.state)],
        forSale: twin.forSale,
        price: hre.ethers.formatEther(twin.price),
        staticHash: twin.staticHash,
        staticCid: minted?.args.staticCid ?? null,
        reviewRequested: twin.reviewRequested,
        updates: updates.map((event) => ({
          index: Number(event.args.index),
          component: event.args.component,
          version: event.args.version,
          artifactHash: event.args.artifactHash,
          artifactCid: event.args.artifactCid,
          block: event.blockNumber,
        })),
        states: states.map((event) => ({
          from: TWIN_STATE_NAMES[Number(event.args.previousState)],
          to: TWIN_STATE_NAMES[Number(event.args.newState)],
          by: event.args.by,
          reason: event.args.reason,
          block: event.blockNumber,
        })),
      };
      for (const key of [
        'deviceId',
        'owner',
        'manufacturer',
        'deviceSigner',
        'state',
        'forSale',
        'price',
        'staticHash',
        'staticCid',
        'reviewRequested',
      ] as const) {
        console.log(`${key.padEnd(16)} ${shown[key]}`);
      }
      console.log(`updates (${shown.updates.length}):`);
      for (const update of shown.updates)
        console.log(`  #${update.index} ${update.component} ${update.version} ${update.artifactHash}`);
      console.log(`state changes (${shown.states.length}):`);
      for (const change of shown.states)
        console.log(`  ${change.from} -> ${change.to} by ${change.by}: ${change.reason}`);
      return shown;
    }),
  );

task('transfer', 'Gives a twin to another approved entity (owner only)')
  .addParam('device', 'DeviceID')
  .addParam('to', 'Address of the approved entity receiving it')
  .addOptionalParam('from', 'Owner account: index or address', '0')
  .setAction((args: { device: string; to: string; from: string }, hre) =>
    runTask(async () => {
      const deviceId = deviceParam(args.device);
      const { twins } = await loadRegistry(hre);
      const owner = await resolveSigner(hre, args.from);
      const to = parseAddress(hre, 'to', args.to);
      // To its own owner it would only end a listing: nothing is sent.
      if ((await twins.ownerOf(deviceId)).toLowerCase() === to.toLowerCase()) {
        console.log(`Twin ${formatDeviceId(deviceId)} already belongs to ${to}: nothing changed (no transaction)`);
        return { changed: false };
      }
      const tx = await confirm(twins.connect(owner).transferFrom(owner.address, to, deviceId));
      console.log(`Twin ${formatDeviceId(deviceId)} transferred to ${to} (tx ${tx.hash})`);
      return { changed: true, ...tx };
    }),
  );

task('set-signer', "Changes the key a twin's device agent signs with (owner only)")
  .addParam('device', 'DeviceID')
  .addParam('signer', 'Address of the new device key')
  .addOptionalParam('from', 'Owner account: index or address', '0')
  .setAction((args: { device: string; signer: string; from: string }, hre) =>
    runTask(async () => {
      const deviceId = deviceParam(args.device);
      const { twins } = await loadRegistry(hre);
      const owner = await resolveSigner(hre, args.from);
      const signer = parseAddress(hre, 'signer', args.signer);
      const tx = await confirm(twins.connect(owner).setDeviceSigner(deviceId, signer));
      const changed = emitted(tx, twins, 'DeviceSignerChanged');
      console.log(
        changed
          ? `Device signer of ${formatDeviceId(deviceId)} set to ${signer} (tx ${tx.hash})`
          : `Device signer of ${formatDeviceId(deviceId)} is already ${signer}: nothing changed (tx ${tx.hash})`,
      );
      return { changed, ...tx };
    }),
  );

task(
  'approve-signer',
  "Approves the next device key of a suspended twin, for its owner's set-signer (security entity only)",
)
  .addParam('device', 'DeviceID')
  .addParam('signer', 'Address of the new device key the owner will set')
  .addOptionalParam('from', 'Security entity account: index or address', '0')
  .setAction((args: { device: string; signer: string; from: string }, hre) =>
    runTask(async () => {
      const deviceId = deviceParam(args.device);
      const signer = parseAddress(hre, 'signer', args.signer);
      const { twins } = await loadRegistry(hre);
      const security = await resolveSigner(hre, args.from);
      const tx = await confirm(twins.connect(security).approveDeviceSigner(deviceId, signer));
      console.log(`Device signer ${signer} approved for suspended twin ${formatDeviceId(deviceId)} (tx ${tx.hash})`);
      return tx;
    }),
  );

task('dispute', 'Burns a twin minted in error, e.g. by a manufacturer with no right to it (registrar only)')
  .addParam('device', 'DeviceID')
  .addParam('reason', 'Why the twin is disputed (at most 256 bytes)')
  .addOptionalParam('from', 'Registrar account: index or address', '0')
  .setAction((args: { device: string; reason: string; from: string }, hre) =>
    runTask(async () => {
      const deviceId = deviceParam(args.device);
      const { twins } = await loadRegistry(hre);
      const registrar = await resolveSigner(hre, args.from);
      const tx = await confirm(twins.connect(registrar).dispute(deviceId, args.reason));
      console.log(`Twin ${formatDeviceId(deviceId)} disputed and burned (tx ${tx.hash})`);
      return tx;
    }),
  );
