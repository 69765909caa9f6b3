import { task } from 'hardhat/config';
import { formatDeviceId } from '../twin-core/src/identity/deviceId';
import { confirm, emitted, resolveSigner, runTask, taskError } from './lib/cli';
import { TWIN_STATE_NAMES } from './lib/names';
import { loadRegistry } from './lib/registry';
import { deviceParam } from './twins';

const ZERO_HASH = `0x${'0'.repeat(64)}`;

task('record-update', 'Records a software or library update installed on a device (owner only)')
  .addParam('device', 'DeviceID')
  .addParam('component', 'What was updated (e.g. openssl, kernel, agent)')
  .addParam('release', 'Version installed (`version` is a Hardhat global flag)')
  .addOptionalParam('artifactHash', 'Hash of the installed artifact (0x + 64 hex)', ZERO_HASH)
  .addOptionalParam('artifactCid', 'IPFS CID of the artifact or its release notes', '')
  .addOptionalParam('from', 'Owner account: index or address', '0')
  .setAction(
    (
      args: {
        device: string;
        component: string;
        release: string;
        artifactHash: string;
        artifactCid: string;
        from: string;
      },
      hre,
    ) =>
      runTask(async () => {
        const deviceId = deviceParam(args.device);
        if (!/^0x[0-9a-fA-F]{64}$/.test(args.artifactHash)) {
          throw taskError(`--artifact-hash must be 0x + 64 hex digits, got "${args.artifactHash}".`);
        }
        const { twins } = await loadRegistry(hre);
        const owner = await resolveSigner(hre, args.from);
        const tx = await confirm(
          twins
            .connect(owner)
            .recordUpdate(deviceId, args.component, args.release, args.artifactHash, args.artifactCid),
        );
        const index = (await twins.twinOf(deviceId)).updateCount;
        console.log(
          `Update #${index} of ${formatDeviceId(deviceId)}: ${args.component} ${args.release} (tx ${tx.hash})`,
        );
        return { index, ...tx };
      }),
  );

task('set-state', "Sets a twin's state to active, suspended or unknown (security entity only)")
  .addParam('device', 'DeviceID')
  .addParam('state', 'active | suspended | unknown')
  .addOptionalParam('reason', 'Hash or IPFS CID of the evidence', '')
  .addOptionalParam('from', 'Security entity account: index or address', '0')
  .setAction((args: { device: string; state: string; reason: string; from: string }, hre) =>
    runTask(async () => {
      const deviceId = deviceParam(args.device);
      const state = ['active', 'suspended', 'unknown'].includes(args.state)
        ? TWIN_STATE_NAMES.indexOf(args.state as never)
        : -1;
      if (state < 0) throw taskError(`--state must be active, suspended or unknown, got "${args.state}".`);
      const { twins } = await loadRegistry(hre);
      const security = await resolveSigner(hre, args.from);
      const tx = await confirm(twins.connect(security).setState(deviceId, state, args.reason));
      const changed = emitted(tx, twins, 'TwinStateChanged');
      console.log(
        changed
          ? `Twin ${formatDeviceId(deviceId)} is now ${args.state} (tx ${tx.hash})`
          : `Twin ${formatDeviceId(deviceId)} is already ${args.state}: nothing changed (tx ${tx.hash})`,
      );
      return { changed, ...tx };
    }),
  );

task('report-lost', 'Reports a device lost (owner only)')
  .addParam('device', 'DeviceID')
  .addOptionalParam('reason', 'What happened', '')
  .addOptionalParam('from', 'Owner account: index or address', '0')
  .setAction((args: { device: string; reason: string; from: string }, hre) =>
    runTask(async () => {
      const deviceId = deviceParam(args.device);
      const { twins } = await loadRegistry(hre);
      const owner = await resolveSigner(hre, args.from);
      const tx = await confirm(twins.connect(owner).reportLost(deviceId, args.reason));
      const changed = emitted(tx, twins, 'TwinStateChanged');
      console.log(
        changed
          ? `Twin ${formatDeviceId(deviceId)} reported lost (tx ${tx.hash})`
          : `Twin ${formatDeviceId(deviceId)} is already reported lost: nothing changed (tx ${tx.hash})`,
      );
      return { changed, ...tx };
    }),
  );

task('report-found', 'Reports a lost device found: its twin returns to its state before it was lost (owner or admin)')
  .addParam('device', 'DeviceID')
  .addOptionalParam('reason', 'Where it was found', '')
  .addOptionalParam('from', 'Owner or admin account: index or address', '0')
  .setAction((args: { device: string; reason: string; from: string }, hre) =>
    runTask(async () => {
      const deviceId = deviceParam(args.device);
      const { twins } = await loadRegistry(hre);
      const caller = await resolveSigner(hre, args.from);
      const tx = await confirm(twins.connect(caller).reportFound(deviceId, args.reason));
      const state = TWIN_STATE_NAMES[Number((await twins.twinOf(deviceId)).state)];
      console.log(`Twin ${formatDeviceId(deviceId)} reported found: ${state} again (tx ${tx.hash})`);
      return { state, ...tx };
    }),
  );

task('deactivate', "Ends a device's life: its twin becomes deactivated for good (its current owner or an admin)")
  .addParam('device', 'DeviceID')
  .addOptionalParam('reason', 'Why', '')
  .addOptionalParam('from', 'Owner or admin account: index or address', '0')
  .setAction((args: { device: string; reason: string; from: string }, hre) =>
    runTask(async () => {
      const deviceId = deviceParam(args.device);
      const { twins } = await loadRegistry(hre);
      const caller = await resolveSigner(hre, args.from);
      const tx = await confirm(twins.connect(caller).deactivate(deviceId, args.reason));
      console.log(`Twin ${formatDeviceId(deviceId)} deactivated (tx ${tx.hash})`);
      return tx;
    }),
  );

task('request-review', 'Asks the security entities to review a suspended twin after an update (owner only)')
  .addParam('device', 'DeviceID')
  .addOptionalParam('note', 'What was remediated', '')
  .addOptionalParam('from', 'Owner account: index or address', '0')
  .setAction((args: { device: string; note: string; from: string }, hre) =>
    runTask(async () => {
      const deviceId = deviceParam(args.device);
      const { twins } = await loadRegistry(hre);
      const owner = await resolveSigner(hre, args.from);
      const tx = await confirm(twins.connect(owner).requestReview(deviceId, args.note));
      const changed = emitted(tx, twins, 'ReviewRequested');
      console.log(
        changed
          ? `Review of ${formatDeviceId(deviceId)} requested (tx ${tx.hash})`
          : `A review of ${formatDeviceId(deviceId)} is already requested: nothing changed (tx ${tx.hash})`,
      );
      return { changed, ...tx };
    }),
  );
