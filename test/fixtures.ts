import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ethers } from 'hardhat';
import { computeDeviceId, identityToContractStruct } from '../twin-core/src/identity/deviceId';
import { rawCidV1 } from '../twin-core/src/encoding/rawCid';
import type { StaticDocument } from '../twin-core/src/static/schema';
import { encodeStaticDocument, hashStaticDocument, parseStaticDocument } from '../twin-core/src/static/staticDocument';

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

/** Everything `mint` takes for a static document. */
export function mintArguments(document: StaticDocument) {
  return {
    deviceId: computeDeviceId(document.identity),
    identity: identityToContractStruct(document.identity),
    staticHash: hashStaticDocument(document),
    staticCid: rawCidV1(encodeStaticDocument(document)),
  };
}

/**
 * The deployed registry with one approved entity of each kind, plus a pending and an unregistered account.
 * Use with `loadFixture`.
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
  const { twins, manufacturer, deviceSigner, twin } = fixture;
  await twins
    .connect(manufacturer)
    .mint(twin.deviceId, twin.identity, twin.staticHash, twin.staticCid, deviceSigner.address, 0n);
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
