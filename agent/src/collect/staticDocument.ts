import * as os from 'node:os';
import { BaseError } from '../../../twin-core/src/errors/BaseError';
import type { DeviceIdentityInput } from '../../../twin-core/src/identity/schema';
import type { StaticDocument, StaticDocumentInput } from '../../../twin-core/src/static/schema';
import { STATIC_DOCUMENT_SCHEMA_VERSION } from '../../../twin-core/src/static/schemaVersion';
import { parseDeviceStaticDocument } from '../validate/validators';
import type { CollectOptions } from './context';
import { readBoardInfo, type Reported } from './cpuinfo';
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

/** What an identity field holds when the machine reports nothing for it (manufacturer, model, revision). */
export const UNREPORTED = 'unknown';

/** `uname -m`: node's `os.machine()` (Node >= 18.9), else the architecture node was built for. */
function machine(options: CollectOptions): string {
  if (options.host?.machine) return options.host.machine();
  const osWithMachine = os as typeof os & { machine?: () => string };
  return typeof osWithMachine.machine === 'function' ? osWithMachine.machine() : os.arch();
}

/**
 * Reads the static document of this device (seed 001 sections III and VIII): MAC of the primary interface, serial,
 * manufacturer, model, revision and memory size (/proc/cpuinfo, /proc/device-tree, Raspberry Pi revision code,
 * /sys/class/dmi/id, /etc/machine-id, /proc/meminfo: see {@link readBoardInfo}), OS name and version
 * (/etc/os-release), kernel (/proc/sys/kernel, `os`), hostname and static IP (/etc/dhcpcd.conf,
 * /etc/network/interfaces), then applies `overrides` and validates it with parseDeviceStaticDocument.
 *
 * A machine that reports no manufacturer, model or revision (a VM without DMI) is still identified, by its MAC and
 * serial number: those fields are recorded as {@link UNREPORTED}, each with a note to `onNote` naming its config key.
 *
 * @throws MissingStaticFieldError when a required identity field is neither found nor overridden
 * @throws InvalidStaticDocumentError when a found or configured value is invalid
 * @example
 * const document = await readStaticDocument(options, { identity: { manufacturer: 'Raspberry Pi Ltd' } })
 */
export async function readStaticDocument(
  options: CollectOptions,
  overrides: StaticOverrides = {},
  onNote?: (note: string) => void,
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
  const osReleaseFile = join(paths.etc, 'os-release');
  const osReleaseFound = (value: string | null | undefined) => (value ? { value, source: osReleaseFile } : null);
  // What the machine reports for each identity field, where it looked, and whether a machine that reports nothing
  // can still be identified (the field is then recorded as `unknown`, and a note says how to name it).
  const found: Record<
    keyof DeviceIdentityInput,
    { reported: Reported<string | number>; where: string; unreported?: string }
  > = {
    macAddress: {
      reported:
        primary === null
          ? null
          : { value: primary.mac, source: join(paths.sys, 'class', 'net', primary.name, 'address') },
      where: `in ${join(paths.sys, 'class', 'net')}/*/address (no interface but lo with a non-zero MAC)`,
    },
    serialNumber: {
      reported: board.serialNumber,
      where: `in ${cpuinfo}, ${deviceTree('serial-number')}, ${dmi('product_serial')} or ${dmi(
        'board_serial',
      )} (root only), nor a machine ID in ${join(paths.etc, 'machine-id')}`,
    },
    manufacturer: {
      reported: board.manufacturer,
      where: `(no Raspberry Pi revision code in ${cpuinfo}, no ${dmi('sys_vendor')} or ${dmi(
        'board_vendor',
      )}, no ${deviceTree('compatible')})`,
      unreported: UNREPORTED,
    },
    hardwareModel: {
      reported: board.hardwareModel,
      where: `in ${deviceTree('model')}, ${cpuinfo}, ${dmi('product_name')} or ${dmi('board_name')}`,
      unreported: UNREPORTED,
    },
    hardwareRevision: {
      reported: board.hardwareRevision,
      where: `(no "Rev" in the device-tree model, no Raspberry Pi revision code, no ${dmi('product_version')} or ${dmi(
        'board_version',
      )})`,
      unreported: UNREPORTED,
    },
    memoryBytes: { reported: board.memoryBytes, where: `in the revision code or ${join(paths.proc, 'meminfo')}` },
    osName: { reported: osReleaseFound(release?.name), where: `in ${osReleaseFile} (${osReleaseReason})` },
    osVersion: { reported: osReleaseFound(release?.version), where: `in ${osReleaseFile} (${osReleaseReason})` },
  };

  const identity: Record<string, unknown> = {};
  const missing: string[] = [];
  const lines: string[] = [];
  for (const [field, { reported, where, unreported }] of Object.entries(found) as [
    keyof DeviceIdentityInput,
    (typeof found)[keyof DeviceIdentityInput],
  ][]) {
    const override = overrides.identity?.[field];
    if (override !== undefined) identity[field] = override;
    else if (reported !== null) identity[field] = reported.value;
    else if (unreported !== undefined) {
      identity[field] = unreported;
      onNote?.(
        `identity.${field}: this machine does not report it ${where.startsWith('(') ? where : `(not ${where})`}; ` +
          `recorded as "${unreported}": set identity.${field} in the agent config to name it`,
      );
    } else {
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
  return parseDeviceStaticDocument(document);
}
