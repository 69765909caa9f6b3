import { createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Contract, id as roleId, type Provider } from 'ethers';
import { mosquittoAcl, type MosquittoAclEntry } from '../../twin-core/src/broker/brokerAcl';
import { API_ROLE_NAME, brokerUsername } from '../../twin-core/src/broker/principal';
import type { Deployment } from '../../twin-core/src/deployment/deployment';

/**
 * A principal's Mosquitto password: HMAC-SHA256 of its username under the operator's secret, base64url. The operator
 * hands it to the principal (`npx hardhat broker-config --print-password <username>`); nothing stores it in clear.
 *
 * @example
 * mosquittoPassword(secret, 'device.0x5f…')
 */
export function mosquittoPassword(secret: string, username: string): string {
  return createHmac('sha256', secret).update(username).digest('base64url');
}

/** One `mosquitto_passwd` line: PBKDF2-SHA512 (`$7$`, 101 iterations, 12-byte salt), as Mosquitto 2 reads it. */
export function mosquittoPasswordLine(username: string, password: string, salt = randomBytes(12)): string {
  const hash = pbkdf2Sync(password, salt, 101, 64, 'sha512');
  return `${username}:$7$101$${salt.toString('base64')}$${hash.toString('base64')}`;
}

const TWIN_ABI = [
  'event TwinMinted(uint256 indexed deviceId, address indexed manufacturer, address indexed deviceSigner, bytes32 staticHash, string staticCid, uint256 price)',
  'function twinOf(uint256 deviceId) view returns (tuple(address owner, address deviceSigner, address manufacturer, uint8 state, bool forSale, uint96 price, bytes32 staticHash, uint32 updateCount, bool reviewRequested))',
];
const ENTITY_ABI = [
  'event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender)',
  'function hasRole(bytes32 role, address account) view returns (bool)',
  'function hasEntityRole(address account, uint8 role) view returns (bool)',
  'event EntityApproved(address indexed account, uint64 indexed entityId, uint8 role, address indexed registrar)',
];

/**
 * Every principal the chain vouches for now: live twins (not deactivated), holders of `ORACLE_ROLE` and `API_ROLE`,
 * approved security entities. Read from the registry's events since the deployment block, each checked against the
 * current state.
 *
 * @example
 * const entries = await brokerPrincipalsFromChain({ provider, deployment })
 */
export async function brokerPrincipalsFromChain(parameters: {
  provider: Provider;
  deployment: Deployment;
}): Promise<MosquittoAclEntry[]> {
  const { provider, deployment } = parameters;
  const twins = new Contract(deployment.contracts.TwinRegistry, TWIN_ABI, provider);
  const entities = new Contract(deployment.contracts.EntityRegistry, ENTITY_ABI, provider);
  const from = deployment.deploymentBlock;
  const entries: MosquittoAclEntry[] = [];
  for (const role of ['ORACLE_ROLE', API_ROLE_NAME] as const) {
    const granted = await entities.queryFilter(entities.filters.RoleGranted!(roleId(role)), from);
    const accounts = new Set(granted.map((log) => ((log as unknown as { args: [string, string] }).args[1]).toLowerCase()));
    for (const account of accounts) {
      if (await entities.getFunction('hasRole').staticCall(roleId(role), account)) {
        entries.push({ kind: role === 'ORACLE_ROLE' ? 'oracle' : 'api', id: account });
      }
    }
  }
  const approved = await entities.queryFilter(entities.filters.EntityApproved!(), from);
  for (const account of new Set(approved.map((log) => ((log as unknown as { args: [string] }).args[0]).toLowerCase()))) {
    if (await entities.getFunction('hasEntityRole').staticCall(account, 3)) entries.push({ kind: 'security', id: account });
  }
  const minted = await twins.queryFilter(twins.filters.TwinMinted!(), from);
  for (const log of minted) {
    const deviceId = (log as unknown as { args: [bigint] }).args[0];
    const twin = (await twins.getFunction('twinOf').staticCall(deviceId)) as { state: bigint };
    if (Number(twin.state) === 3) continue; // deactivated
    entries.push({ kind: 'device', id: `0x${deviceId.toString(16).padStart(64, '0')}` });
  }
  return entries;
}

/** What {@link writeMosquittoFiles} wrote. */
export type MosquittoFiles = { passwordFile: string; aclFile: string; principals: number };

/**
 * Writes `passwords` (a `password_file`, each principal's {@link mosquittoPassword} hashed) and `acl` (an `acl_file`
 * from the one ACL table) into `directory`, each replaced atomically. Mosquitto reads both again on SIGHUP.
 *
 * @example
 * writeMosquittoFiles({ directory: '/etc/mosquitto/twin', entries, secret })
 */
export function writeMosquittoFiles(parameters: {
  directory: string;
  entries: readonly MosquittoAclEntry[];
  secret: string;
}): MosquittoFiles {
  const { directory, entries, secret } = parameters;
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const passwords = entries.map((entry) => mosquittoPasswordLine(brokerUsername(entry), mosquittoPassword(secret, brokerUsername(entry))));
  const passwordFile = join(directory, 'passwords');
  const aclFile = join(directory, 'acl');
  for (const [file, text] of [
    [passwordFile, `${passwords.join('\n')}\n`],
    [aclFile, mosquittoAcl(entries)],
  ] as const) {
    writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }
  return { passwordFile, aclFile, principals: entries.length };
}
