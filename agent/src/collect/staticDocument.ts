import * as os from 'node:os';
import { BaseError } from '../../../twin-core/src/errors/BaseError';
import type { DeviceIdentityInput } from '../../../twin-core/src/identity/schema';
import {
  STATIC_DOCUMENT_SCHEMA_VERSION,
  type StaticDocument,
  type StaticDocumentInput,
} from '../../../twin-core/src/static/schema';
import { parseStaticDocument } from '../../../twin-core/src/static/staticDocument';
import type { CollectOptions } from './context';
import { readBoardInfo } from './cpuinfo';
import { readOsRelease, type OsReleaseInfo } from './osRelease';
import { errorMessage, join, readAttribute } from './read';
import { readInterfaceMacs, readStaticIp, selectPrimaryMac } from './staticNetwork';

/**
 * Values from the agent's config for static fields a device cannot read (or reads wrongly). Each given field wins
 * over what the device reports.
 */
export type StaticOverrides = {
  identity?: Partial<DeviceIdentityInput> | undefined;
  hardware?: Partial<StaticDocumentInput['hardware']> | undefined;
  os?: Partial<StaticDocumentInput['os']> | undefined;
  network?: Partial<StaticDocumentInput['network']> | undefined;
};

/** Required static fields were found neither on the device nor in the config; the message names each and its config key. */
export class MissingStaticFieldError extends BaseError {
  override name = 'MissingStaticFieldError';
  constructor(readonly fields: string[], lines: string[]) {
    super(`The static document cannot be built: ${fields.join(', ')} not found on this device.`, {
      metaMessages: lines,
    });
  }
}

/** `uname -m`: node's `os.machine()` (Node >= 18.9), else the architecture node was built for. */
function machine(options: CollectOptions): string {
  if (options.host?.machine) return options.host.machine();
  const osWithMachine = os as typeof os & { machine?: () => string };
  return typeof osWithMachine.machine === 'function' ? osWithMachine.machine() : os.arch();
}

/**
 * Reads the static document of this device (seed 001 sections III and VIII): MAC of the primary interface, serial,
 * manufacturer, model, revision and memory size (/proc/cpuinfo, /proc/device-tree, Raspberry Pi revision code,
 * /sys/class/dmi/id, /proc/meminfo), OS name and version (/etc/os-release), kernel (/proc/sys/kernel, `os`),
 * hostname and static IP (/etc/dhcpcd.conf, /etc/network/interfaces), then applies `overrides` and validates it
 * with parseStaticDocument.
 *
 * @throws MissingStaticFieldError when a required identity field is neither found nor overridden
 * @throws InvalidStaticDocumentError when a found or configured value is invalid
 * @example
 * const document = await readStaticDocument(options, { identity: { manufacturer: 'Raspberry Pi Ltd' } })
 */
export async function readStaticDocument(
  options: CollectOptions,
  overrides: StaticOverrides = {},
): Promise<StaticDocument> {
  const { paths } = options;
  const kernel = (file: string) => readAttribute(join(paths.proc, 'sys', 'kernel', file));
  const [board, osRelease, macs, ostype, osrelease, kernelVersion, kernelHostname, etcHostname] = await Promise.all([
    readBoardInfo(paths),
    readOsRelease(paths).catch((error: unknown) => errorMessage(error)),
    readInterfaceMacs(paths).catch(() => []),
    kernel('ostype'),
    kernel('osrelease'),
    kernel('version'),
    kernel('hostname'),
    readAttribute(join(paths.etc, 'hostname')),
  ]);
  const primary = selectPrimaryMac(macs);
  const staticIp =
    overrides.network?.staticIp !== undefined
      ? overrides.network.staticIp
      : await readStaticIp(paths, primary?.name ?? null);
  const release: OsReleaseInfo | null = typeof osRelease === 'string' ? null : osRelease;
  const osReleaseReason = typeof osRelease === 'string' ? osRelease : 'no NAME/VERSION in it';

  const cpuinfo = join(paths.proc, 'cpuinfo');
  const dmi = (file: string) => join(paths.sys, 'class', 'dmi', 'id', file);
  const deviceTree = (file: string) => join(paths.proc, 'device-tree', file);
  const found: Record<keyof DeviceIdentityInput, { value: string | number | null; where: string }> = {
    macAddress: {
      value: primary?.mac ?? null,
      where: `in ${join(paths.sys, 'class', 'net')}/*/address (no interface but lo with a non-zero MAC)`,
    },
    serialNumber: {
      value: board.serialNumber,
      where: `in ${cpuinfo} or ${deviceTree('serial-number')} or ${dmi('product_serial')}`,
    },
    manufacturer: {
      value: board.manufacturer,
      where: `(no Raspberry Pi revision code in ${cpuinfo}, no ${dmi('sys_vendor')})`,
    },
    hardwareModel: {
      value: board.hardwareModel,
      where: `in ${deviceTree('model')}, ${cpuinfo} or ${dmi('product_name')}`,
    },
    hardwareRevision: {
      value: board.hardwareRevision,
      where: `(no "Rev" in the device-tree model, no Raspberry Pi revision code, no ${dmi('product_version')})`,
    },
    memoryBytes: { value: board.memoryBytes, where: `in the revision code or ${join(paths.proc, 'meminfo')}` },
    osName: { value: release?.name ?? null, where: `in ${join(paths.etc, 'os-release')} (${osReleaseReason})` },
    osVersion: { value: release?.version ?? null, where: `in ${join(paths.etc, 'os-release')} (${osReleaseReason})` },
  };

  const identity: Record<string, unknown> = {};
  const missing: string[] = [];
  const lines: string[] = [];
  for (const [field, { value, where }] of Object.entries(found) as [
    keyof DeviceIdentityInput,
    (typeof found)[keyof DeviceIdentityInput],
  ][]) {
    const override = overrides.identity?.[field];
    if (override !== undefined) identity[field] = override;
    else if (value !== null) identity[field] = value;
    else {
      missing.push(`identity.${field}`);
      lines.push(`identity.${field}: not found ${where}; set identity.${field} in the agent config`);
    }
  }
  if (missing.length > 0) throw new MissingStaticFieldError(missing, lines);

  const hostHostname = options.host?.hostname ?? os.hostname;
  const document: StaticDocumentInput = {
    schemaVersion: STATIC_DOCUMENT_SCHEMA_VERSION,
    collectedAt: new Date(options.now()).toISOString(),
    identity: identity as DeviceIdentityInput,
    hardware: {
      architecture: machine(options),
      ...(board.pi ? { revisionCode: board.pi.code } : board.cpu.revision ? { revisionCode: board.cpu.revision } : {}),
      ...(board.cpu.cpuModel ? { cpuModel: board.cpu.cpuModel } : {}),
      ...(board.cpu.cores > 0 ? { cpuCores: board.cpu.cores } : {}),
      ...overrides.hardware,
    },
    os: {
      type: ostype ?? (options.host?.type ?? os.type)(),
      release: osrelease ?? (options.host?.release ?? os.release)(),
      ...(() => {
        const version = kernelVersion ?? (options.host?.version ?? (os as { version?: () => string }).version)?.();
        return version ? { kernelVersion: version } : {};
      })(),
      ...(release?.family ? { family: release.family } : {}),
      hostname: kernelHostname ?? etcHostname ?? hostHostname(),
      ...overrides.os,
    },
    network: { staticIp, ...overrides.network },
  };
  return parseStaticDocument(document);
}
