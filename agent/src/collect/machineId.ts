import { createHmac } from 'node:crypto';
import type { SystemPaths } from './context';
import { join, readAttribute } from './read';

/**
 * The agent's application ID for app-specific machine IDs: a random 128-bit value, fixed forever (changing it would
 * change the serial number, hence the DeviceID, of every machine identified by its machine ID).
 */
export const TWIN_AGENT_APP_ID = '39242ea751ba4edca04c1bc3b6f47d9d';

/**
 * A machine ID as /etc/machine-id holds it (32 lower-case hex digits), or null for anything else: absent, empty, all
 * zeros, or `uninitialized` (systemd's first boot).
 *
 * @example
 * parseMachineId('3d1219c7c4c5404aaa1f6d2a48adfda4\n') // '3d1219c7c4c5404aaa1f6d2a48adfda4'
 */
export function parseMachineId(text: string | null): string | null {
  const value = text?.trim().toLowerCase() ?? '';
  return /^[0-9a-f]{32}$/.test(value) && !/^0+$/.test(value) ? value : null;
}

/**
 * The app-specific ID systemd derives from a machine ID (`sd_id128_get_machine_app_specific`, `systemd-id128
 * machine-id --app-specific=…`): HMAC-SHA256 keyed by the machine ID over the application ID, its first 16 bytes
 * made a version 4 UUID, as 32 hex digits. The machine ID itself is confidential (machine-id(5)): this value
 * identifies the machine to this application only and reveals nothing of it.
 *
 * @example
 * appSpecificMachineId('51df0b4bc3b04c9780e299b98ca373b8', 'f03daaeb1c334b43a732172944bf772e') // '1dee5954e75c4d6fb96cc6c04ca18a86'
 */
export function appSpecificMachineId(machineId: string, appId: string = TWIN_AGENT_APP_ID): string {
  const id = createHmac('sha256', Buffer.from(machineId, 'hex'))
    .update(Buffer.from(appId, 'hex'))
    .digest()
    .subarray(0, 16);
  id[6] = (id[6]! & 0x0f) | 0x40;
  id[8] = (id[8]! & 0x3f) | 0x80;
  return id.toString('hex');
}

/** The machine ID in `etc/machine-id`, or null when the system has none (e.g. a container image). */
export async function readMachineId(paths: SystemPaths): Promise<string | null> {
  return parseMachineId(await readAttribute(join(paths.etc, 'machine-id')));
}
