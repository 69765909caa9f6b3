import { SNAPSHOT_PROBES, type SnapshotProbe } from '../../../twin-core/src/messages/commandRules';
import { unavailable } from '../../../twin-core/src/messages/probeResult';

/** Why a snapshot section a desired state switched off is unavailable. */
export const PROBE_DISABLED = 'disabled by the desired state';

/** Each switchable probe's snapshot section, as a path (`dnsConfig` fills `dns.config`). */
export const PROBE_SECTIONS: Record<SnapshotProbe, string> = Object.fromEntries(
  SNAPSHOT_PROBES.map((probe) => [probe, /^dns[A-Z]/.test(probe) ? `dns.${probe.slice(3).toLowerCase()}` : probe]),
) as Record<SnapshotProbe, string>;

/**
 * Every probe's switch as a device reports it in its status: on unless a desired state switched it off.
 *
 * @example
 * probeReport({ usb: false }) // { system: true, …, usb: false, … }
 */
export function probeReport(switches: Record<string, boolean>): Record<SnapshotProbe, boolean> {
  return Object.fromEntries(SNAPSHOT_PROBES.map((probe) => [probe, switches[probe] !== false])) as Record<
    SnapshotProbe,
    boolean
  >;
}

/**
 * A snapshot body with the sections of the probes switched off replaced by `unavailable(PROBE_DISABLED)`: what a
 * simulated device sends (the agent's collector does not run those probes at all).
 *
 * @example
 * withProbesSwitchedOff(body, { usb: false }).usb // { available: false, reason: 'disabled by the desired state' }
 */
export function withProbesSwitchedOff<body extends Record<string, unknown>>(
  snapshot: body,
  switches: Record<string, boolean>,
): body {
  const off = SNAPSHOT_PROBES.filter((probe) => switches[probe] === false);
  if (off.length === 0) return snapshot;
  const copy: Record<string, unknown> = { ...snapshot };
  for (const probe of off) {
    const [first, second] = PROBE_SECTIONS[probe].split('.') as [string, string | undefined];
    if (second === undefined) copy[first] = unavailable(PROBE_DISABLED);
    else copy[first] = { ...(copy[first] as Record<string, unknown>), [second]: unavailable(PROBE_DISABLED) };
  }
  return copy as body;
}
