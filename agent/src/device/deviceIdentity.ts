import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import { formatDeviceId, hashDeviceIdentity } from '../../../twin-core/src/identity/deviceIdHash';
import { privateKeyToAddress, type PrivateKey } from '../../../twin-core/src/signing/deviceKey';
import type { StaticDocument } from '../../../twin-core/src/static/schema';
import { collectOptionsFromConfig } from '../collect/collectOptions';
import { createCollector } from '../collect/createCollector';
import type { AgentConfig } from '../config';
import { loadOrCreateDeviceKey } from '../identity/keyStore';
import { silentLogger, type Logger } from '../log';
import { parseDeviceStaticDocument } from '../validate/validators';

/** The device's identity as the agent sees it: key, DeviceID, signer address and static document. */
export type DeviceIdentityInfo = {
  key: PrivateKey;
  keyCreated: boolean;
  deviceId: Hex;
  signer: Hex;
  /** The static document the twin was (or will be) minted from: collected once, then kept in the data directory. */
  staticDocument: StaticDocument;
  /** The DeviceID the device would have if its static parameters were read again, when that differs. */
  identityDrift?: Hex | undefined;
};

/** The file keeping the device's static document, so every publication has the hash recorded at mint. */
export function staticDocumentFile(config: AgentConfig): string {
  return join(config.dataDir, 'static-document.json');
}

/**
 * Reads the device's static document and loads (or creates) its key: everything `agent identity` prints and the
 * twin needs at mint. The document is collected on first use and kept in `dataDir/static-document.json`: a static
 * document must stay byte-identical, or its hash would no longer match the one recorded at mint. Later reads collect
 * again only to report drift (e.g. an OS upgrade changed the identity parameters).
 *
 * @example
 * const { deviceId, signer } = await readDeviceIdentity(config)
 */
export async function readDeviceIdentity(
  config: AgentConfig,
  environment: NodeJS.ProcessEnv = process.env,
  log: Logger = silentLogger,
): Promise<DeviceIdentityInfo> {
  const collector = createCollector(collectOptionsFromConfig(config));
  const collected = (onNote?: (note: string) => void) =>
    collector.staticDocument(
      {
        identity: config.identity,
        ...(config.staticIp !== undefined ? { network: { staticIp: config.staticIp } } : {}),
      },
      onNote,
    );
  const file = staticDocumentFile(config);
  let staticDocument: StaticDocument;
  let identityDrift: Hex | undefined;
  if (existsSync(file)) {
    staticDocument = parseDeviceStaticDocument(JSON.parse(readFileSync(file, 'utf8')));
    const current = await collected().then(
      (document) => formatDeviceId(hashDeviceIdentity(document.identity)),
      () => undefined,
    );
    if (current !== undefined && current !== formatDeviceId(hashDeviceIdentity(staticDocument.identity)))
      identityDrift = current;
  } else {
    // Notes about unreported identity fields are for the first collection: the document is kept from then on.
    staticDocument = await collected((note) => log('warn', note));
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, `${JSON.stringify(staticDocument, null, 2)}\n`);
  }
  const { key, created } = loadOrCreateDeviceKey({
    file: join(config.dataDir, 'device.key'),
    fromEnvironment: environment.TWIN_AGENT_DEVICE_KEY,
  });
  return {
    key,
    keyCreated: created,
    deviceId: formatDeviceId(hashDeviceIdentity(staticDocument.identity)),
    signer: privateKeyToAddress(key),
    staticDocument,
    ...(identityDrift !== undefined ? { identityDrift } : {}),
  };
}
