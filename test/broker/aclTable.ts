import type { MqttClient } from 'mqtt';

/** The parties of the ACL tests: a device, a fleet proving it, and the services. */
export type Party = 'device' | 'fleet' | 'oracle' | 'api' | 'security';

/** Every topic of a twin. */
export const TOPIC_KINDS = [
  'static',
  'snapshot',
  'telemetry',
  'status',
  'reply',
  'command',
  'twin',
  'notifications',
  'alerts',
] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];

const DEVICE_PUBLISHES: TopicKind[] = ['static', 'snapshot', 'telemetry', 'status', 'reply'];
const DEVICE_READS: TopicKind[] = ['command', 'twin'];

/**
 * Who may publish what, as issue 13 asks, written here by hand (not read from `BROKER_ACL`, so a wrong table fails):
 * a device its own messages and replies; the oracle notifications and twin records; the API commands; a security
 * entity alerts; a fleet what its device may.
 */
export const MAY_PUBLISH: Record<Party, TopicKind[]> = {
  device: DEVICE_PUBLISHES,
  fleet: DEVICE_PUBLISHES,
  oracle: ['twin', 'notifications'],
  api: ['command'],
  security: ['alerts'],
};

/** Who may read what: a device its own command and twin record; the services what they act on. */
export const MAY_READ: Record<Party, TopicKind[]> = {
  device: DEVICE_READS,
  fleet: DEVICE_READS,
  oracle: ['static', 'snapshot', 'telemetry', 'status', 'alerts'],
  api: ['status', 'reply', 'notifications'],
  security: ['snapshot', 'telemetry'],
};

/** Who reads each topic in the publish checks, and who publishes it in the read checks. */
const OBSERVER: Record<TopicKind, Party> = {
  static: 'oracle',
  snapshot: 'oracle',
  telemetry: 'oracle',
  status: 'oracle',
  alerts: 'oracle',
  reply: 'api',
  notifications: 'api',
  command: 'device',
  twin: 'device',
};
const PUBLISHER: Record<TopicKind, Party> = {
  static: 'device',
  snapshot: 'device',
  telemetry: 'device',
  status: 'device',
  reply: 'device',
  command: 'api',
  twin: 'oracle',
  notifications: 'oracle',
  alerts: 'security',
};

/** Parameters of {@link observeAcl}. */
export type ObserveAclParameters = {
  parties: readonly Party[];
  /** The device (and the fleet's device), and another device whose command topic the device must not read. */
  deviceId: string;
  otherDeviceId: string;
  /**
   * A connection as `party`: a fresh one each call on a broker that closes a refused publisher (aedes), the party's
   * one connection on a broker that binds the client ID to the username (Mosquitto).
   */
  connectAs(party: Party): Promise<MqttClient>;
  /** How long to wait for a message that should not come, ms. */
  quietMs: number;
};

/** What the broker let through: per party, the topic kinds it published and read (in {@link TOPIC_KINDS} order). */
export type ObservedAcl = {
  published: Record<string, TopicKind[]>;
  read: Record<string, TopicKind[]>;
  /** Filters whose SUBACK granted them (not 128), per party. */
  granted: Record<string, string[]>;
  /** Parties that read the other device's command. */
  readOtherCommand: Party[];
};

function arrival(client: MqttClient, topic: string, payload: string, waitMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const onMessage = (t: string, p: Buffer) => {
      if (t !== topic || p.toString() !== payload) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve(true);
    };
    const timer = setTimeout(() => {
      client.off('message', onMessage);
      resolve(false);
    }, waitMs);
    client.on('message', onMessage);
  });
}

async function subscribe(client: MqttClient, filter: string): Promise<boolean> {
  try {
    const grants = await client.subscribeAsync(filter, { qos: 1 });
    return (grants[0]?.qos ?? 128) < 128;
  } catch (error) {
    const granted = (error as { packet?: { granted?: number[] } }).packet?.granted?.[0];
    if (granted === 128) return false;
    throw error;
  }
}

/**
 * Each party publishes to every topic of the device and reads every topic (its own and `twins/+/…`), through the real
 * broker; returns what got through, for the caller to compare with {@link MAY_PUBLISH} and {@link MAY_READ}.
 */
export async function observeAcl(parameters: ObserveAclParameters): Promise<ObservedAcl> {
  const { deviceId, otherDeviceId, connectAs, quietMs } = parameters;
  const topic = (kind: TopicKind, device = deviceId) => `twins/${device}/${kind}`;
  const probe = (label: string) => `probe-${label}-${Math.random().toString(36).slice(2)}`;
  const observed: ObservedAcl = { published: {}, read: {}, granted: {}, readOtherCommand: [] };

  // Publishing: each party to each topic, read by a party that may read it.
  const observers = new Map<Party, MqttClient>();
  for (const kind of TOPIC_KINDS) {
    const party = OBSERVER[kind];
    if (!observers.has(party)) observers.set(party, await connectAs(party));
    await subscribe(observers.get(party)!, topic(kind));
  }
  for (const party of parameters.parties) {
    observed.published[party] = [];
    for (const kind of TOPIC_KINDS) {
      const publisher = await connectAs(party);
      const payload = probe(`${party}-${kind}`);
      const expected = MAY_PUBLISH[party].includes(kind);
      const arrived = arrival(observers.get(OBSERVER[kind])!, topic(kind), payload, expected ? 5_000 : quietMs);
      publisher.publish(topic(kind), payload, { qos: 0 });
      if (await arrived) observed.published[party]!.push(kind);
    }
  }

  // Reading: each party subscribes to every topic, its device's and every device's; the allowed publisher of each
  // topic publishes once (and the API commands the other device too).
  const readers = new Map<Party, MqttClient>();
  for (const party of parameters.parties) {
    const reader = await connectAs(party);
    readers.set(party, reader);
    observed.granted[party] = [];
    for (const kind of TOPIC_KINDS) {
      for (const filter of [topic(kind), `twins/+/${kind}`]) {
        if (await subscribe(reader, filter)) observed.granted[party]!.push(filter);
      }
    }
    if (await subscribe(reader, topic('command', otherDeviceId)))
      observed.granted[party]!.push(topic('command', otherDeviceId));
  }
  const sends: [TopicKind, string][] = [...TOPIC_KINDS.map((kind): [TopicKind, string] => [kind, topic(kind)])];
  for (const party of parameters.parties) observed.read[party] = [];
  for (const [kind, target] of [...sends, ['command', topic('command', otherDeviceId)] as [TopicKind, string]]) {
    const payload = probe(`read-${kind}`);
    const other = target !== topic(kind);
    const arrivals = parameters.parties.map((party) =>
      arrival(readers.get(party)!, target, payload, !other && MAY_READ[party].includes(kind) ? 5_000 : quietMs),
    );
    (await connectAs(PUBLISHER[kind])).publish(target, payload, { qos: 0 });
    const results = await Promise.all(arrivals);
    parameters.parties.forEach((party, index) => {
      if (!results[index]) return;
      if (other) observed.readOtherCommand.push(party);
      else observed.read[party]!.push(kind);
    });
  }
  return observed;
}

/** {@link MAY_PUBLISH} and {@link MAY_READ} for these parties, in the shape {@link observeAcl} answers. */
export function expectedAcl(parties: readonly Party[]): Pick<ObservedAcl, 'published' | 'read' | 'readOtherCommand'> {
  const order = (kinds: TopicKind[]) => TOPIC_KINDS.filter((kind) => kinds.includes(kind));
  return {
    published: Object.fromEntries(parties.map((party) => [party, order(MAY_PUBLISH[party])])),
    read: Object.fromEntries(parties.map((party) => [party, order(MAY_READ[party])])),
    readOtherCommand: [],
  };
}
