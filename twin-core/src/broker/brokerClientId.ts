import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brokerClientIdPrefix, type BrokerPrincipal } from './principal';

/**
 * The MQTT client ID of a principal: `<kind>-<id>-<suffix>`, the suffix 16 random hex digits kept in
 * `<dataDir>/broker-client-id` (made at the first start), so a persistent session survives restarts while nobody can
 * guess the ID; without a data directory a fresh suffix each run. The broker binds the ID to the principal (its
 * prefix), so even a known ID cannot be taken over.
 *
 * @example
 * brokerClientId({ kind: 'oracle', id: wallet.address }, config.dataDir) // 'oracle-0xab…-3f9c…'
 */
export function brokerClientId(principal: BrokerPrincipal, dataDir?: string): string {
  return `${brokerClientIdPrefix(principal)}${clientIdSuffix(dataDir)}`;
}

function clientIdSuffix(dataDir: string | undefined): string {
  if (dataDir === undefined) return randomBytes(8).toString('hex');
  const file = join(dataDir, 'broker-client-id');
  try {
    const stored = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{16}$/.test(stored)) return stored;
  } catch {
    // First start: made below.
  }
  const suffix = randomBytes(8).toString('hex');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(file, `${suffix}\n`, { mode: 0o600 });
  return suffix;
}
