import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { createLab, PYTHON, startLabServices, type Lab } from '../../../../lab/src';
import { BEHAVIOURS, type Behaviour } from '../../../../twin-core/src/messages/behaviour';
import { recoverMessageSigner } from '../../../../twin-core/src/signing/messageSignature';
import { parseDeviceTopic } from '../../../../twin-core/src/messages/topics';
import { createAnalyzer } from '../../createAnalyzer';
import type { AlertEvent } from '../../engine/types';
import type { RecordedAlert, RecordedEpisode, Recording } from '../createRecorder';
import { scoreRecording, type DetectorScore } from '../scoreRecording';

/** An abnormal behaviour of seed 000 (twin-core `BEHAVIOURS` but `normal`). */
export type AbnormalBehaviour = Exclude<Behaviour, 'normal'>;
export const ABNORMAL_BEHAVIOURS = BEHAVIOURS.filter((name) => name !== 'normal') as AbnormalBehaviour[];

/** Parameters of {@link runRealEvaluation}. */
export type RealEvaluationOptions = {
  /** Normal traffic before the first episode; the analyzer's warm-up (its `warmupSeconds`). */
  warmupSeconds: number;
  /** Behaviours produced, in order, each `episodes` times (default all seven). */
  behaviours: AbnormalBehaviour[];
  episodes: number;
  episodeSeconds: number;
  /** Normal traffic before each episode (must exceed the analyzer's `quietSeconds` so alerts close). */
  gapSeconds: number;
  /** An alert opening up to this long after an episode's end still detects it. */
  graceSeconds: number;
  /** The compiled agent CLI (agent/dist/agent/src/cli.js) and the Node.js that runs it. */
  agentCli: string;
  node: string;
  /** The lab's traffic generator (lab/src/traffic.py). */
  trafficScript: string;
  /** Lab id (namespace names `net-<id>-…`). */
  labId?: string;
  seed: number;
  log?: (line: string) => void;
};

/** A labelled window of the harness: which behaviour the real processes produced, from when to when (ms). */
export type LabelledWindow = { behaviour: AbnormalBehaviour; startMs: number; endMs: number };

/** One message the judge received, kept for the dataset export; `ts` is its envelope's time in ms. */
export type ReceivedMessage = { kind: 'telemetry' | 'snapshot'; ts: number; message: unknown };

/** Result of {@link runRealEvaluation}. */
export type RealEvaluationReport = {
  deviceId: string;
  signer: string;
  windows: LabelledWindow[];
  detectors: DetectorScore[];
  /** Alerts opened outside every labelled window (+ grace), any detector, per device-hour of the judged period. */
  falseAlerts: number;
  judgedHours: number;
  falseAlertsPerDeviceHour: number;
  alerts: RecordedAlert[];
  messages: { telemetry: number; snapshots: number; rejected: number };
  /** Share of telemetry whose nine capture metrics were all reported (not null). */
  captureCoverage: Record<string, number>;
  received: ReceivedMessage[];
  startedAtMs: number;
  judgedFromMs: number;
  endedAtMs: number;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const CAPTURED = [
  'dnsQueriesPerSec',
  'tlsHandshakesPerSec',
  'meanSessionSeconds',
  'latencyMs',
  'jitterMs',
  'meanPayloadBytes',
  'payloadSizeEntropyBits',
  'meanInterArrivalMs',
  'interArrivalCv',
] as const;

/** Starts the real agent in the device namespace and resolves its DeviceID and signer once it runs. */
async function startAgent(lab: Lab, options: RealEvaluationOptions, brokerUrl: string): Promise<{ child: ChildProcess; deviceId: string; signer: string }> {
  const dataDir = join(lab.directory, 'agent');
  mkdirSync(dataDir, { recursive: true });
  const child = lab.spawnIn(lab.device, options.node, ['--max-semi-space-size=1', options.agentCli, 'run'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: dataDir,
      TWIN_AGENT_MQTT_URL: brokerUrl,
      TWIN_AGENT_DATA_DIR: dataDir,
      TWIN_AGENT_TELEMETRY_INTERVAL_SECONDS: '1',
      TWIN_AGENT_SNAPSHOT_INTERVAL_SECONDS: '30',
      TWIN_AGENT_PROCESS_LIMIT: '64',
    },
  });
  let said = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the agent did not start within 60 s: ${said.slice(-800)}`)), 60_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      said += chunk.toString();
      if (said.length > 100_000) said = said.slice(-20_000);
      const running = /"message":"agent running"[^\n]*"deviceId":"(0x[0-9a-f]{64})"[^\n]*"signer":"(0x[0-9a-fA-F]{40})"/.exec(said);
      if (running) {
        clearTimeout(timer);
        resolve({ child, deviceId: running[1]!, signer: running[2]! });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the agent exited (${code}): ${said.slice(-800)}`));
    });
  });
}

/**
 * The evaluation on real traffic (issue 17): a lab of two network namespaces joined by a veth pair, the real agent
 * (the compiled CLI, packet capture on) in the device namespace, openssl s_server, dnsmasq, Mosquitto and two sinks
 * in the network namespace. Normal background traffic runs throughout; after the warm-up each behaviour is produced
 * by real processes (lab/src/traffic.py: HTTPS, DNS, ping, TCP/UDP sockets) in labelled windows separated by normal
 * gaps. The judge subscribes to the lab's broker from the host, keeps only messages signed by the agent's device key,
 * feeds them to the analyzer the security service runs (`createAnalyzer`, twin-core validation on), and scores the
 * alerts against the windows with the simulator evaluation's rules.
 *
 * @example
 * const report = await runRealEvaluation({ warmupSeconds: 300, behaviours: ABNORMAL_BEHAVIOURS, episodes: 2, … })
 */
export async function runRealEvaluation(options: RealEvaluationOptions): Promise<RealEvaluationReport> {
  const log = options.log ?? (() => undefined);
  const lab = createLab({ id: options.labId ?? `e${process.pid % 100000}` });
  let judge: MqttClient | undefined;
  try {
    const services = await startLabServices(lab);
    log(`lab up: ${lab.device.name} (${lab.device.address}) ↔ ${lab.network.name} (${lab.network.address})`);
    const traffic = (mode: string, seconds: number, seed: number) =>
      lab.spawnIn(lab.device, PYTHON, [options.trafficScript, mode, '--seconds', String(seconds), '--server', services.https.address, '--seed', String(seed)]);
    const analyzer = createAnalyzer({
      warmupSeconds: options.warmupSeconds,
      warmupSamples: Math.max(10, Math.floor(options.warmupSeconds * 0.8)),
    });
    const alerts: RecordedAlert[] = [];
    const received: ReceivedMessage[] = [];
    const counts = { telemetry: 0, snapshots: 0, rejected: 0 };
    const covered: Record<string, number> = Object.fromEntries(CAPTURED.map((name) => [name, 0]));
    analyzer.on('alert', (event: AlertEvent) => {
      if (event.type !== 'open') {
        const known = alerts.find((alert) => alert.openedAtMs === event.alert.openedAtMs && alert.behaviour === event.alert.behaviour);
        if (known && event.type === 'close') known.closedAtMs = event.alert.closedAtMs;
        return;
      }
      alerts.push({ deviceId: event.alert.deviceId, behaviour: event.alert.behaviour, openedAtMs: event.alert.openedAtMs, closedAtMs: null });
      log(`alert ${event.alert.behaviour} at ${new Date(event.alert.openedAtMs).toISOString()} score ${event.alert.score.toFixed(2)}`);
    });
    const background = traffic('background', 24 * 3600, options.seed);
    const agent = await startAgent(lab, options, `mqtt://${services.broker.address}:${services.broker.port}`);
    log(`agent running: ${agent.deviceId} signer ${agent.signer}`);
    judge = connect(services.broker.fromHost, { clientId: `net-judge-${process.pid}`, reconnectPeriod: 500 });
    judge.on('message', (topic, payload) => {
      const parsed = parseDeviceTopic(topic);
      if (!parsed || (parsed.kind !== 'telemetry' && parsed.kind !== 'snapshot')) return;
      let message: { deviceId?: string; ts?: string; body?: any; sig?: string };
      try {
        message = JSON.parse(payload.toString('utf8'));
        const signer = recoverMessageSigner(message as never);
        if (signer?.toLowerCase() !== agent.signer.toLowerCase() || message.deviceId !== agent.deviceId) throw new Error('not signed by the device key');
        analyzer.analyze(message);
      } catch {
        counts.rejected++;
        return;
      }
      if (parsed.kind === 'telemetry') {
        counts.telemetry++;
        for (const name of CAPTURED) if (message.body?.network?.[name] !== null && message.body?.network?.[name] !== undefined) covered[name]!++;
      } else counts.snapshots++;
      received.push({ kind: parsed.kind, ts: Date.parse(message.ts ?? ''), message });
    });
    await new Promise<void>((resolve, reject) => {
      judge!.once('connect', () => judge!.subscribe('twins/+/+', { qos: 1 }, (error) => (error ? reject(error) : resolve())));
    });
    const startedAtMs = Date.now();
    log(`warm-up: ${options.warmupSeconds} s of normal traffic`);
    await sleep(options.warmupSeconds * 1000);
    const judgedFromMs = Date.now();
    const windows: LabelledWindow[] = [];
    let seed = options.seed * 1000;
    for (let round = 0; round < options.episodes; round++) {
      for (const behaviour of options.behaviours) {
        await sleep(options.gapSeconds * 1000);
        const startMs = Date.now();
        log(`episode ${behaviour} (${round + 1}/${options.episodes}) for ${options.episodeSeconds} s`);
        const extras: ChildProcess[] = [traffic(behaviour, options.episodeSeconds, ++seed)];
        let netem = false;
        if (behaviour === 'timing-anomaly') {
          try {
            lab.runIn(lab.device, 'tc', ['qdisc', 'add', 'dev', lab.deviceInterface, 'root', 'netem', 'delay', '20ms', '15ms']);
            netem = true;
          } catch {
            log('tc netem not available here: the timing anomaly is the irregular sender alone');
          }
        }
        await Promise.all(extras.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))));
        if (netem) lab.runIn(lab.device, 'tc', ['qdisc', 'del', 'dev', lab.deviceInterface, 'root']);
        windows.push({ behaviour, startMs, endMs: Date.now() });
      }
    }
    await sleep(Math.max(options.graceSeconds, 20) * 1000);
    const endedAtMs = Date.now();
    background.kill('SIGTERM');
    // The agent first, while its broker still runs: its clean stop ends its capture process too.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 10_000);
      agent.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      agent.child.kill('SIGTERM');
    });
    const episodes: RecordedEpisode[] = windows.map((window) => ({
      deviceId: agent.deviceId,
      behaviour: window.behaviour,
      startMs: window.startMs,
      endMs: window.endMs,
      truncated: false,
      // A flood's sockets and a beacon's process are no new listening port or process name on this device.
      portTrace: false,
      processTrace: false,
    }));
    const recording: Recording = { episodes, alerts, normalDevices: [], devicesByGroup: { mixed: 1, normal: 0 } } as unknown as Recording;
    const scores = scoreRecording(recording, {
      fromMs: judgedFromMs,
      toMs: endedAtMs,
      graceSeconds: options.graceSeconds,
      tailSeconds: 0,
      windowSeconds: 60,
    });
    const graceMs = options.graceSeconds * 1000;
    const falseAlerts = alerts.filter(
      (alert) =>
        alert.openedAtMs >= judgedFromMs &&
        !windows.some((window) => alert.openedAtMs >= window.startMs && alert.openedAtMs <= window.endMs + graceMs),
    ).length;
    const judgedHours = (endedAtMs - judgedFromMs) / 3_600_000;
    return {
      deviceId: agent.deviceId,
      signer: agent.signer,
      windows,
      detectors: scores.detectors.filter((score) => (ABNORMAL_BEHAVIOURS as string[]).includes(score.behaviour)),
      falseAlerts,
      judgedHours,
      falseAlertsPerDeviceHour: judgedHours > 0 ? falseAlerts / judgedHours : 0,
      alerts,
      messages: counts,
      captureCoverage: Object.fromEntries(CAPTURED.map((name) => [name, counts.telemetry === 0 ? 0 : covered[name]! / counts.telemetry])),
      received,
      startedAtMs,
      judgedFromMs,
      endedAtMs,
    };
  } finally {
    judge?.end(true);
    await lab.close();
  }
}
