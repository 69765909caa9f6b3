import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generatePrivateKey, isPrivateKey, type PrivateKey } from '../../../twin-core/src/signing/deviceKey';
import { AgentError } from '../errors';

/** Parameters of {@link loadOrCreateDeviceKey}. */
export type LoadDeviceKeyParameters = {
  /** The key file (0x + 64 hex digits, mode 0600). Created on first run. */
  file: string;
  /** A key given by environment (`TWIN_AGENT_DEVICE_KEY`) wins over the file and is never written. */
  fromEnvironment?: string | undefined;
};

/**
 * The device's secp256k1 key: from the environment, else from its file, else generated on first run and stored
 * with mode 0600. A key file that others can read is tightened to 0600; a malformed one is refused, never replaced.
 *
 * @example
 * const key = loadOrCreateDeviceKey({ file: join(dataDir, 'device.key') })
 */
export function loadOrCreateDeviceKey(parameters: LoadDeviceKeyParameters): { key: PrivateKey; created: boolean } {
  const { file, fromEnvironment } = parameters;
  if (fromEnvironment !== undefined && fromEnvironment !== '') {
    if (!isPrivateKey(fromEnvironment)) {
      throw new AgentError('TWIN_AGENT_DEVICE_KEY is not a secp256k1 private key.', {
        details: 'expected 0x followed by 64 hex digits',
      });
    }
    return { key: fromEnvironment, created: false };
  }
  if (existsSync(file)) {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    const text = readFileSync(file, 'utf8').trim();
    if (!isPrivateKey(text)) {
      throw new AgentError(`The device key file ${file} does not hold a private key.`, {
        details:
          'expected 0x followed by 64 hex digits; move the file away to generate a new key (the twin must then be given the new signer)',
      });
    }
    return { key: text, created: false };
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const key = generatePrivateKey();
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  return { key, created: true };
}
