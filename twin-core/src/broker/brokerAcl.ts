import type { BrokerPrincipalKind } from './principal';
import { brokerUsername, type BrokerPrincipal } from './principal';

/** What one kind of principal may publish and subscribe to: MQTT topic patterns (see {@link BROKER_ACL}). */
export type BrokerAclRule = { publish: readonly string[]; subscribe: readonly string[] };

/**
 * Who may do what on the broker, written once: the embedded broker's `authorizePublish`/`authorizeSubscribe` and the
 * Mosquitto ACL file (`npx hardhat broker-config`) are both made from this table.
 *
 * Patterns are MQTT topic filters whose `{device}` level stands for the principal's own DeviceID (a device) or each
 * DeviceID whose key it proved (a fleet); `+` is any one level. A publish is allowed when its topic matches a
 * pattern; a subscription when its filter (a shared `$share/<group>/…` one without the prefix) asks for no more
 * than a pattern: `+` in a filter needs `+` in the pattern, `#` is never granted.
 *
 * A new topic: add its pattern here, to the principals that publish or read it, and nowhere else; then regenerate
 * the Mosquitto files (`npx hardhat broker-config`).
 */
export const BROKER_ACL: Record<BrokerPrincipalKind, BrokerAclRule> = {
  // A device publishes its messages and its signed answers to commands (`reply`, also the MQTT 5 response topic),
  // and reads the owner-signed commands and the oracle-signed twin record (who its owner is).
  device: {
    publish: [
      'twins/{device}/static',
      'twins/{device}/snapshot',
      'twins/{device}/telemetry',
      'twins/{device}/status',
      'twins/{device}/reply',
    ],
    subscribe: ['twins/{device}/command', 'twins/{device}/twin'],
  },
  // A fleet may do for each device it proves exactly what that device may.
  fleet: {
    publish: [
      'twins/{device}/static',
      'twins/{device}/snapshot',
      'twins/{device}/telemetry',
      'twins/{device}/status',
      'twins/{device}/reply',
    ],
    subscribe: ['twins/{device}/command', 'twins/{device}/twin'],
  },
  oracle: {
    publish: ['twins/+/notifications', 'twins/+/twin'],
    subscribe: ['twins/+/static', 'twins/+/snapshot', 'twins/+/telemetry', 'twins/+/status', 'twins/+/alerts'],
  },
  api: { publish: ['twins/+/command'], subscribe: ['twins/+/notifications', 'twins/+/status', 'twins/+/reply'] },
  security: { publish: ['twins/+/alerts'], subscribe: ['twins/+/telemetry', 'twins/+/snapshot'] },
};

/** What an anonymous client may read when the broker allows it (`allowAnonymousRead`): static documents only. */
export const ANONYMOUS_READ_TOPICS: readonly string[] = ['twins/+/static'];

/** An authenticated principal as the ACL sees it: its kind and, for a device or a fleet, the DeviceIDs it acts for. */
export type AclSubject = { kind: BrokerPrincipalKind | 'anonymous'; devices: ReadonlySet<string> };

/** Each pattern of {@link BROKER_ACL} split into levels once (a publish is judged against a few of them). */
const compiledPatterns = new Map<string, readonly string[]>();
function levelsOf(pattern: string): readonly string[] {
  let levels = compiledPatterns.get(pattern);
  if (levels === undefined) compiledPatterns.set(pattern, (levels = pattern.split('/')));
  return levels;
}

function patternsOf(subject: AclSubject, action: keyof BrokerAclRule): readonly string[] {
  if (subject.kind === 'anonymous') return action === 'subscribe' ? ANONYMOUS_READ_TOPICS : [];
  return BROKER_ACL[subject.kind][action];
}

/** Constant work per call: a handful of patterns of three levels, the device looked up in a set. */
function matches(pattern: string, levels: readonly string[], devices: ReadonlySet<string>): boolean {
  const patternLevels = levelsOf(pattern);
  if (patternLevels.length !== levels.length) return false;
  for (let index = 0; index < levels.length; index++) {
    const level = levels[index]!;
    const wanted = patternLevels[index]!;
    if (level === '#') return false;
    if (level === '+' && wanted !== '+') return false;
    if (wanted === '+') continue;
    if (wanted === '{device}' ? !devices.has(level.toLowerCase()) : wanted !== level) return false;
  }
  return true;
}

/**
 * Whether `subject` may publish to `topic`.
 *
 * @example
 * mayPublish({ kind: 'device', devices: new Set([deviceId]) }, `twins/${deviceId}/telemetry`) // true
 */
export function mayPublish(subject: AclSubject, topic: string): boolean {
  if (topic.includes('+') || topic.includes('#')) return false;
  const levels = topic.split('/');
  return patternsOf(subject, 'publish').some((pattern) => matches(pattern, levels, subject.devices));
}

/**
 * Whether `subject` may subscribe to `filter` (a shared subscription's filter is judged without its prefix).
 *
 * @example
 * maySubscribe({ kind: 'oracle', devices: new Set() }, '$share/oracle/twins/+/snapshot') // true
 */
export function maySubscribe(subject: AclSubject, filter: string): boolean {
  const shared = /^\$share\/[^/+#]+\/(.+)$/.exec(filter);
  const unshared = shared === null ? filter : shared[1]!;
  if (unshared.startsWith('$')) return false;
  const levels = unshared.split('/');
  return patternsOf(subject, 'subscribe').some((pattern) => matches(pattern, levels, subject.devices));
}

/** One principal of a generated Mosquitto ACL: its kind and ID, and the DeviceIDs a fleet proves. */
export type MosquittoAclEntry = BrokerPrincipal & { devices?: readonly string[] };

/**
 * The Mosquitto ACL file (`acl_file`) of these principals, from {@link BROKER_ACL}: one `user` block each, with
 * `topic write` for what it publishes and `topic read` for what it subscribes to (shared subscriptions also granted
 * under `$share/+/`). Anonymous clients get nothing: the generated `mosquitto.conf` binds each client ID to its
 * username (`use_username_as_clientid`), and Mosquitto then refuses any client without one.
 *
 * @example
 * writeFileSync('acl', mosquittoAcl([{ kind: 'oracle', id: oracle }, { kind: 'device', id: deviceId }]))
 */
export function mosquittoAcl(entries: readonly MosquittoAclEntry[]): string {
  const lines = ['# Generated by `npx hardhat broker-config` from the chain: do not edit.'];
  for (const entry of entries) {
    const devices = entry.kind === 'device' ? [entry.id] : (entry.devices ?? []);
    const expand = (pattern: string) =>
      pattern.includes('{device}') ? devices.map((id) => pattern.replace('{device}', id.toLowerCase())) : [pattern];
    lines.push('', `user ${brokerUsername(entry)}`);
    for (const pattern of BROKER_ACL[entry.kind].publish) for (const topic of expand(pattern)) lines.push(`topic write ${topic}`);
    for (const pattern of BROKER_ACL[entry.kind].subscribe) {
      for (const topic of expand(pattern)) {
        lines.push(`topic read ${topic}`);
        if (topic.includes('+')) lines.push(`topic read $share/+/${topic}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
