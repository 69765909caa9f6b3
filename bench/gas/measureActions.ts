import { ethers } from 'ethers';
import { rawCidV1 } from '../../twin-core/src/encoding/rawCid';
import { signMintAttestation } from '../../twin-core/src/signing/mintAttestation';
import { benchTwin } from './benchTwin';
import { ENTITY_ROLE, type GasBenchDeployment } from './deployGasBench';
import { gasUsedBy } from './gasUsedBy';
import { GAS_TARGETS, meetsTarget } from './targets';

/** The gas one user action used, with its target when issue 7 sets one. */
export type GasAction = {
  name: string;
  gasUsed: number;
  /** The maximum gas issue 7 allows, when it sets one. */
  target?: number;
  /** Whether `gasUsed` is within `target` (absent without a target). */
  met?: boolean;
};

/** Twin states as `ITwinRegistry.TwinState` numbers them. */
const STATE = { Active: 0, Suspended: 1 } as const;
const PRICE = ethers.parseEther('1');
/** A CIDv1 (59 characters), the length of every CID the system writes: evidence, artifacts, profiles. */
const cid = (label: string) => rawCidV1(new TextEncoder().encode(label));

/**
 * Measures every user action once, in the order of a twin's life: an entity registers and is approved; the
 * manufacturer registers its brand and the registrar approves it; the manufacturer mints its first twin (each mint
 * with the device's attestation), then one unlisted and one listed; lists and delists; an owner who holds nothing
 * buys with ether; another deposits and buys from its balance, then transfers the twin to the newcomer; the
 * manufacturer withdraws its proceeds (it still holds a twin); the first owner records an update, is suspended, a
 * security entity approves a new device signer and the owner rotates to it, records an update, requests a review and
 * is reactivated; the owner rotates the device signer, reports the device lost and found, and deactivates it; the
 * registrar disputes (burns) the newcomer's twin. Text fields are realistic: CIDs are 59 characters, reasons and
 * notes short sentences.
 *
 * @example
 * const actions = await measureActions(await deployGasBench(hre))
 */
export async function measureActions(deployment: GasBenchDeployment): Promise<GasAction[]> {
  const { entities, twins, anchor, admin, oracle, manufacturer, buyer, balanceBuyer, security, deviceSigner } =
    deployment;
  const { deviceKey } = deployment;
  const { newcomer } = deployment;
  const actions: GasAction[] = [];
  const record = (name: string, gasUsed: number, target?: number) => {
    actions.push(
      target === undefined ? { name, gasUsed } : { name, gasUsed, target, met: meetsTarget(gasUsed, target) },
    );
  };
  const signer = deviceSigner.address;
  const [first, unlisted, listed] = [benchTwin(0), benchTwin(1), benchTwin(2)];
  const asManufacturer = twins.connect(manufacturer);

  record(
    'register',
    await gasUsedBy(
      entities.connect(newcomer).register(ENTITY_ROLE.Owner, 'Carol', ethers.id('profile'), cid('carol')),
    ),
  );
  record('approve', await gasUsedBy(entities.connect(admin).approve(newcomer.address)));
  const brand = first.identity.manufacturer;
  record('registerBrand', await gasUsedBy(entities.connect(manufacturer).registerBrand(brand)));
  record('approveBrand', await gasUsedBy(entities.connect(admin).approveBrand(manufacturer.address, brand)));

  const { chainId } = await twins.runner!.provider!.getNetwork();
  const registry = await twins.getAddress();
  const mint = (twin: typeof first, price: bigint) => {
    const attestation = signMintAttestation(deviceKey, {
      deviceId: twin.deviceId,
      manufacturer: manufacturer.address,
      chainId,
      registry,
    });
    return gasUsedBy(
      asManufacturer.mint(twin.deviceId, twin.identity, twin.staticHash, twin.staticCid, signer, price, attestation),
    );
  };
  record("mint (manufacturer's first twin)", await mint(first, 0n), GAS_TARGETS.mint);
  record('mint (unlisted)', await mint(unlisted, 0n), GAS_TARGETS.mint);
  record('mint (listed)', await mint(listed, PRICE), GAS_TARGETS.mint);

  record('list', await gasUsedBy(asManufacturer.list(unlisted.deviceId, PRICE)));
  record('delist', await gasUsedBy(asManufacturer.delist(unlisted.deviceId)));
  await gasUsedBy(asManufacturer.list(unlisted.deviceId, PRICE));

  record('buy', await gasUsedBy(twins.connect(buyer).buy(listed.deviceId, { value: PRICE })), GAS_TARGETS.buy);
  record('deposit', await gasUsedBy(twins.connect(balanceBuyer).deposit({ value: PRICE })));
  record(
    'buyWithBalance',
    await gasUsedBy(twins.connect(balanceBuyer).buyWithBalance(unlisted.deviceId, PRICE)),
    GAS_TARGETS.buy,
  );
  record(
    'transfer (safeTransferFrom)',
    await gasUsedBy(
      twins
        .connect(balanceBuyer)
        ['safeTransferFrom(address,address,uint256)'](balanceBuyer.address, newcomer.address, unlisted.deviceId),
    ),
  );
  record('withdraw', await gasUsedBy(asManufacturer.withdraw()));

  const asOwner = twins.connect(buyer);
  const update = (version: string) =>
    asOwner.recordUpdate(listed.deviceId, 'openssl', version, ethers.id(`openssl ${version}`), cid(version));
  record('recordUpdate', await gasUsedBy(update('3.0.15')), GAS_TARGETS.recordUpdate);
  record(
    'setState (suspend)',
    await gasUsedBy(twins.connect(security).setState(listed.deviceId, STATE.Suspended, cid('evidence'))),
    GAS_TARGETS.setState,
  );
  record(
    'approveDeviceSigner',
    await gasUsedBy(twins.connect(security).approveDeviceSigner(listed.deviceId, balanceBuyer.address)),
  );
  record(
    'setDeviceSigner (approved, Suspended)',
    await gasUsedBy(asOwner.setDeviceSigner(listed.deviceId, balanceBuyer.address)),
  );
  await gasUsedBy(update('3.0.16'));
  record('requestReview', await gasUsedBy(asOwner.requestReview(listed.deviceId, 'patched openssl')));
  record(
    'setState (reactivate)',
    await gasUsedBy(twins.connect(security).setState(listed.deviceId, STATE.Active, cid('review'))),
    GAS_TARGETS.setState,
  );
  record('setDeviceSigner', await gasUsedBy(asOwner.setDeviceSigner(listed.deviceId, newcomer.address)));
  record('reportLost', await gasUsedBy(asOwner.reportLost(listed.deviceId, 'left on a train')));
  record('reportFound', await gasUsedBy(asOwner.reportFound(listed.deviceId, 'found in the shed')));
  record('deactivate', await gasUsedBy(asOwner.deactivate(listed.deviceId, 'end of support')));
  record('dispute', await gasUsedBy(twins.connect(admin).dispute(unlisted.deviceId, 'minted in error')));

  const root = ethers.id('gas bench: one batch root');
  record(
    'anchor (one batch)',
    await gasUsedBy(anchor.connect(oracle).anchor(root, 1024, cid('manifest'))),
    GAS_TARGETS.anchorBatch,
  );
  return actions;
}
