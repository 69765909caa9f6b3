import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import hre, { ethers } from 'hardhat';
import { developmentKey } from '../tasks/lib/accounts';
import type { Hex } from '../twin-core/src/encoding/hex';
import { signMintAttestation } from '../twin-core/src/signing/mintAttestation';
import { twinMintFields, type TwinMintFields } from '../twin-core/src/static/mintFields';
import type { StaticDocument } from '../twin-core/src/static/schema';
import { parseStaticDocument } from '../twin-core/src/static/staticDocument';
import type { EntityRegistry, TwinRegistry } from '../typechain-types';

/** Entity roles, statuses and twin states as the contracts number them. */
export const Role = { None: 0, Manufacturer: 1, Owner: 2, SecurityEntity: 3 } as const;
export const Status = { None: 0, Pending: 1, Approved: 2, Revoked: 3 } as const;
export const State = { Active: 0, Suspended: 1, Unknown: 2, Deactivated: 3, Lost: 4 } as const;

/** The example static documents under examples/static, parsed. */
export function exampleDocuments(): { file: string; json: unknown; document: StaticDocument }[] {
  const directory = join(__dirname, '..', 'examples', 'static');
  return readdirSync(directory)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const json = JSON.parse(readFileSync(join(directory, file), 'utf8')) as unknown;
      return { file: join(directory, file), json, document: parseStaticDocument(json) };
    });
}

/** Everything `mint` takes from a static document (DeviceID, identity struct, hash, CID). */
export function mintArguments(document: StaticDocument): TwinMintFields {
  return twinMintFields(document);
}

/** Every brand the example documents name: the fixtures' manufacturer holds them all. */
export function exampleBrands(): string[] {
  return [...new Set(exampleDocuments().map(({ document }) => document.identity.manufacturer))];
}

/** The private key of the fixtures' `deviceSigner` (account #6 of the local chain). */
export function deviceSignerKey(): Hex {
  return developmentKey(hre, 6) as Hex;
}

/**
 * The device key's attestation letting `manufacturer` mint twin `deviceId` in `twins` on this chain: the shared
 * `signMintAttestation`, as the agent prints it at provisioning.
 */
export async function attest(
  twins: TwinRegistry,
  manufacturer: { address: string },
  deviceId: bigint,
  key: Hex = deviceSignerKey(),
): Promise<Hex> {
  const { chainId } = await ethers.provider.getNetwork();
  return signMintAttestation(key, {
    deviceId,
    manufacturer: manufacturer.address,
    chainId,
    registry: await twins.getAddress(),
  });
}

/**
 * `mint`'s seven arguments for `twin`, attested by the device key (default: the fixtures' device signer's).
 *
 * @example
 * await twins.connect(manufacturer).mint(...(await mintCall(twins, manufacturer, twin)))
 */
export async function mintCall(
  twins: TwinRegistry,
  manufacturer: { address: string },
  twin: TwinMintFields,
  options: { price?: bigint; key?: Hex; signer?: string } = {},
) {
  const key = options.key ?? deviceSignerKey();
  const signer = options.signer ?? new ethers.Wallet(key).address;
  const attestation = await attest(twins, manufacturer, twin.deviceId, key);
  return [
    twin.deviceId,
    twin.identity,
    twin.staticHash,
    twin.staticCid,
    signer,
    options.price ?? 0n,
    attestation,
  ] as const;
}

/** Registers `manufacturer`'s brands and has the admin (a registrar) approve them. */
export async function grantBrands(
  entities: EntityRegistry,
  manufacturer: HardhatEthersSigner,
  brands: readonly string[] = exampleBrands(),
) {
  for (const brand of brands) {
    await entities.connect(manufacturer).registerBrand(brand);
    await entities.approveBrand(manufacturer.address, brand);
  }
}

/**
 * The deployed registry with one approved entity of each kind (the manufacturer holding every example brand),
 * plus a pending and an unregistered account. Use with `loadFixture`.
 */
export async function registryFixture() {
  const [admin, oracle, manufacturer, owner, secondOwner, security, deviceSigner, pending, stranger, relayer] =
    await ethers.getSigners();
  const forwarder = await ethers.deployContract('TwinForwarder');
  const entities = await ethers.deployContract('EntityRegistry', [admin!.address, await forwarder.getAddress()]);
  const twins = await ethers.deployContract('TwinRegistry', [
    await entities.getAddress(),
    await forwarder.getAddress(),
  ]);
  const anchor = await ethers.deployContract('SnapshotAnchor', [
    await entities.getAddress(),
    await forwarder.getAddress(),
  ]);
  await entities.grantRole(await entities.ORACLE_ROLE(), oracle!.address);

  const cast = [
    [manufacturer!, Role.Manufacturer, 'Raspberry Pi Ltd'],
    [owner!, Role.Owner, 'Alice'],
    [secondOwner!, Role.Owner, 'Bob'],
    [security!, Role.SecurityEntity, 'Twin SOC'],
  ] as const;
  for (const [signer, role, name] of cast) {
    await entities.connect(signer).register(role, name, ethers.ZeroHash, '');
    await entities.approve(signer.address);
  }
  await entities.connect(pending!).register(Role.Owner, 'Pending Pete', ethers.ZeroHash, '');
  await grantBrands(entities, manufacturer!);

  const [document] = exampleDocuments().map((example) => example.document);
  const twin = mintArguments(document!);
  return {
    forwarder,
    entities,
    twins,
    anchor,
    admin: admin!,
    oracle: oracle!,
    manufacturer: manufacturer!,
    owner: owner!,
    secondOwner: secondOwner!,
    security: security!,
    deviceSigner: deviceSigner!,
    pending: pending!,
    stranger: stranger!,
    relayer: relayer!,
    document: document!,
    twin,
  };
}

/** {@link registryFixture} with the first example twin minted by the manufacturer, unlisted. */
export async function mintedFixture() {
  const fixture = await registryFixture();
  const { twins, manufacturer, twin } = fixture;
  await twins.connect(manufacturer).mint(...(await mintCall(twins, manufacturer, twin)));
  return fixture;
}

/** {@link mintedFixture} with the twin sold to `owner` for 1 ETH. */
export async function ownedFixture() {
  const fixture = await mintedFixture();
  const { twins, manufacturer, owner, twin } = fixture;
  const price = ethers.parseEther('1');
  await twins.connect(manufacturer).list(twin.deviceId, price);
  await twins.connect(owner).buy(twin.deviceId, { value: price });
  return { ...fixture, price };
}
