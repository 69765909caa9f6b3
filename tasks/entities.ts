import { task } from 'hardhat/config';
import type { HardhatRuntimeEnvironment } from 'hardhat/types';
import { confirm, emitted, parseAddress, resolveSigner, runTask, taskError } from './lib/cli';
import { ENTITY_ROLE_NAMES, ENTITY_ROLES, ENTITY_STATUS_NAMES } from './lib/names';
import { loadRegistry, type Registry } from './lib/registry';

/** Grants an operational role of the entity registry (`ORACLE_ROLE`, `REGISTRAR_ROLE`, `API_ROLE`). */
export async function grantRole(
  hre: HardhatRuntimeEnvironment,
  role: 'ORACLE_ROLE' | 'REGISTRAR_ROLE' | 'API_ROLE',
  account: string,
  from: string,
) {
  return runTask(async () => {
    const { entities } = await loadRegistry(hre);
    const admin = await resolveSigner(hre, from);
    const target = parseAddress(hre, 'account', account);
    // API_ROLE is no constant of the contract: AccessControl grants any role ID, keccak256 of its name.
    const roleId = role === 'API_ROLE' ? hre.ethers.id(role) : await entities[role]();
    const tx = await confirm(entities.connect(admin).grantRole(roleId, target));
    const changed = emitted(tx, entities, 'RoleGranted');
    console.log(
      changed
        ? `${role} granted to ${target} (tx ${tx.hash})`
        : `${target} already holds ${role}: nothing changed (tx ${tx.hash})`,
    );
    return { changed, ...tx };
  });
}

task('register', 'Submits an entity registration for the --from account')
  .addParam('role', 'manufacturer | owner | security')
  .addParam('name', 'Display name (1-64 bytes)')
  .addOptionalParam('profileHash', 'keccak256/sha-256 of the profile document (0x + 64 hex)', `0x${'0'.repeat(64)}`)
  .addOptionalParam('profileCid', 'IPFS CID of the profile document', '')
  .addOptionalParam('from', 'Account: index or address', '0')
  .setAction((args: { role: string; name: string; profileHash: string; profileCid: string; from: string }, hre) =>
    runTask(async () => {
      const role = Object.hasOwn(ENTITY_ROLES, args.role)
        ? ENTITY_ROLES[args.role as keyof typeof ENTITY_ROLES]
        : undefined;
      if (role === undefined) throw taskError(`--role must be manufacturer, owner or security, got "${args.role}".`);
      if (!/^0x[0-9a-fA-F]{64}$/.test(args.profileHash))
        throw taskError(`--profile-hash must be 0x + 64 hex digits, got "${args.profileHash}".`);
      const { entities } = await loadRegistry(hre);
      const signer = await resolveSigner(hre, args.from);
      const tx = await confirm(entities.connect(signer).register(role, args.name, args.profileHash, args.profileCid));
      console.log(`${signer.address} registered as ${args.role} "${args.name}", pending approval (tx ${tx.hash})`);
      return { account: signer.address, ...tx };
    }),
  );

task('approve', 'Approves a registered entity and gives it its entity ID (registrar only)')
  .addParam('account', 'Address of the entity')
  .addOptionalParam('from', 'Registrar account: index or address', '0')
  .setAction((args: { account: string; from: string }, hre) =>
    runTask(async () => {
      const { entities } = await loadRegistry(hre);
      const registrar = await resolveSigner(hre, args.from);
      const account = parseAddress(hre, 'account', args.account);
      const tx = await confirm(entities.connect(registrar).approve(account));
      const entityId = await entities.entityIdOf(account);
      console.log(`${account} approved with entity ID ${entityId} (tx ${tx.hash})`);
      return { account, entityId, ...tx };
    }),
  );

task('revoke', 'Revokes an entity (registrar only)')
  .addParam('account', 'Address of the entity')
  .addOptionalParam('reason', 'Why', '')
  .addOptionalParam('from', 'Registrar account: index or address', '0')
  .setAction((args: { account: string; reason: string; from: string }, hre) =>
    runTask(async () => {
      const { entities } = await loadRegistry(hre);
      const registrar = await resolveSigner(hre, args.from);
      const account = parseAddress(hre, 'account', args.account);
      const tx = await confirm(entities.connect(registrar).revoke(account, args.reason));
      console.log(`${account} revoked (tx ${tx.hash})`);
      return { account, ...tx };
    }),
  );

/** The brands `account` registered and still holds or awaits, from the registry's brand events. */
async function brandsOf(
  entities: Registry['entities'],
  account: string,
  fromBlock: number,
): Promise<{ brand: string; status: 'pending' | 'approved' }[]> {
  const brands = new Map<string, 'pending' | 'approved'>();
  const events = [
    ...(await entities.queryFilter(entities.filters.BrandRegistered(account), fromBlock)),
    ...(await entities.queryFilter(entities.filters.BrandApproved(account), fromBlock)),
    ...(await entities.queryFilter(entities.filters.BrandRevoked(account), fromBlock)),
  ].sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
  for (const event of events) {
    const brand = (event.args as unknown as { brand: string }).brand;
    if (event.fragment.name === 'BrandRevoked') brands.delete(brand);
    else brands.set(brand, event.fragment.name === 'BrandApproved' ? 'approved' : 'pending');
  }
  return [...brands].map(([brand, status]) => ({ brand, status }));
}

task('show-entity', 'Shows an entity by address or entity ID')
  .addParam('entity', 'Address or entity ID')
  .setAction((args: { entity: string }, hre) =>
    runTask(async () => {
      const { entities, deployment } = await loadRegistry(hre);
      let account: string;
      if (/^\d+$/.test(args.entity)) [account] = await entities.entityById(BigInt(args.entity));
      else account = parseAddress(hre, 'entity', args.entity);
      const entity = await entities.entityOf(account);
      const brands = await brandsOf(entities, account, deployment.deploymentBlock);
      const shown = {
        account,
        entityId: entity.id,
        role: ENTITY_ROLE_NAMES[Number(entity.role)],
        status: ENTITY_STATUS_NAMES[Number(entity.status)],
        name: entity.name,
        profileHash: entity.profileHash,
        profileCid: entity.profileCid,
        registeredAt: entity.registeredAt === 0n ? null : new Date(Number(entity.registeredAt) * 1000).toISOString(),
        brands: brands.length === 0 ? null : brands.map(({ brand, status }) => `${brand} (${status})`).join(', '),
      };
      for (const [key, value] of Object.entries(shown)) console.log(`${key.padEnd(13)} ${value ?? '-'}`);
      return shown;
    }),
  );

/**
 * A brand as device identities write it: trimmed and NFC-normalised, like the identity's `manufacturer` the
 * DeviceID hashes, so the registry compares the same bytes.
 */
export function brandParam(value: string): string {
  const brand = value.normalize('NFC').trim();
  if (brand.length === 0) throw taskError('--brand must not be empty.');
  return brand;
}

task('register-brand', "Asks for a brand: the identities' manufacturer name of the devices the --from account mints")
  .addParam('brand', 'Exactly as the devices\' static documents name their maker, e.g. "Raspberry Pi Ltd"')
  .addOptionalParam('from', 'Manufacturer account: index or address', '0')
  .setAction((args: { brand: string; from: string }, hre) =>
    runTask(async () => {
      const brand = brandParam(args.brand);
      const { entities } = await loadRegistry(hre);
      const manufacturer = await resolveSigner(hre, args.from);
      const tx = await confirm(entities.connect(manufacturer).registerBrand(brand));
      console.log(`${manufacturer.address} registered the brand "${brand}", pending approval (tx ${tx.hash})`);
      return { account: manufacturer.address, brand, ...tx };
    }),
  );

task('approve-brand', 'Gives a manufacturer the brand it registered: only it mints twins naming it (registrar only)')
  .addParam('account', 'Address of the manufacturer')
  .addParam('brand', 'The brand it registered')
  .addOptionalParam('from', 'Registrar account: index or address', '0')
  .setAction((args: { account: string; brand: string; from: string }, hre) =>
    runTask(async () => {
      const brand = brandParam(args.brand);
      const account = parseAddress(hre, 'account', args.account);
      const { entities } = await loadRegistry(hre);
      const registrar = await resolveSigner(hre, args.from);
      const tx = await confirm(entities.connect(registrar).approveBrand(account, brand));
      console.log(`Brand "${brand}" approved for ${account} (tx ${tx.hash})`);
      return { account, brand, ...tx };
    }),
  );

task('revoke-brand', "Ends a manufacturer's registration of a brand, pending or approved (registrar only)")
  .addParam('account', 'Address of the manufacturer')
  .addParam('brand', 'The brand')
  .addOptionalParam('reason', 'Why', '')
  .addOptionalParam('from', 'Registrar account: index or address', '0')
  .setAction((args: { account: string; brand: string; reason: string; from: string }, hre) =>
    runTask(async () => {
      const brand = brandParam(args.brand);
      const account = parseAddress(hre, 'account', args.account);
      const { entities } = await loadRegistry(hre);
      const registrar = await resolveSigner(hre, args.from);
      const tx = await confirm(entities.connect(registrar).revokeBrand(account, brand, args.reason));
      console.log(`Brand "${brand}" of ${account} revoked (tx ${tx.hash})`);
      return { account, brand, ...tx };
    }),
  );
