import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { labUnavailable } from '../../lab/src';
import { formatRealReport, labelAt } from '../../analytics/src/eval/real/cli';
import { runRealEvaluation, type RealEvaluationReport } from '../../analytics/src/eval/real/runRealEvaluation';
import { buildRealDataset } from '../../analytics/src/dataset/buildRealDataset';

const ROOT = join(__dirname, '..', '..');

/** PIDs of the tcpdump processes started from this worktree (the agent's capture; other work runs elsewhere). */
/** The tcpdump processes this run's lab started: their agent's data directory is under the lab's `net-lab-<id>-`. */
function captureProcessesOfLab(labId: string): string[] {
  const pids = spawnSync('pgrep', ['-x', 'tcpdump'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  return pids.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').some((entry) => entry.startsWith('TWIN_AGENT_DATA_DIR=') && entry.includes(`/net-lab-${labId}-`));
    } catch {
      return false;
    }
  });
}

describe('The evaluation on real traffic (issue 17): a short run in network namespaces', function () {
  this.timeout(600_000);
  let report: RealEvaluationReport;
  const labId = `t${process.pid % 100000}`;

  before(async function () {
    const reason = labUnavailable();
    if (reason) {
      process.stdout.write(`      skipped: ${reason}\n`);
      this.skip();
    }
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'ensureBuilt.js'), 'agent'], { stdio: 'ignore' });
    report = await runRealEvaluation({
      warmupSeconds: 60,
      behaviours: ['connection-flood', 'failed-connections'],
      episodes: 1,
      episodeSeconds: 25,
      gapSeconds: 20,
      graceSeconds: 10,
      agentCli: join(ROOT, 'agent', 'dist', 'agent', 'src', 'cli.js'),
      node: process.execPath,
      trafficScript: join(ROOT, 'lab', 'src', 'traffic.py'),
      labId,
      seed: 3,
    });
  });

  it('judges only messages signed by the real agent, whose capture fills the network metrics', function () {
    expect(report.messages.telemetry).to.be.greaterThan(100);
    expect(report.messages.snapshots).to.be.greaterThan(2);
    expect(report.messages.rejected).to.equal(0);
    for (const name of ['latencyMs', 'jitterMs', 'payloadSizeEntropyBits', 'interArrivalCv', 'dnsQueriesPerSec', 'tlsHandshakesPerSec']) {
      expect(report.captureCoverage[name], name).to.be.at.least(0.8);
    }
  });

  it("reports the device's own process table (its PID namespace), not the host's", function () {
    const snapshots = report.received.filter((entry) => entry.kind === 'snapshot') as Array<{ message: any }>;
    expect(snapshots.length).to.be.greaterThan(2);
    for (const { message } of snapshots) {
      const table = message.body.processes;
      expect(table.available).to.equal(true);
      const names = table.value.list.map((row: { name: string }) => row.name);
      // the lab's init (PID 1), the agent (node; its main thread's name), its tcpdump, the traffic script and its pings
      expect(table.value.tasks.total, names.join(' ')).to.be.at.most(12);
      expect(table.value.list.find((row: { pid: number }) => row.pid === 1)?.name).to.equal('python3');
      expect(names.some((name: string) => /^(kthreadd|kworker|ksoftirqd|rcu_|systemd)/.test(name)), names.join(' ')).to.equal(false);
      expect(table.value.list.some((row: { pid: number }) => row.pid === process.pid)).to.equal(false);
    }
  });

  it('produced each behaviour in its labelled window: the flood holds connections, the failures are failed attempts', function () {
    expect(report.windows.map((window) => window.behaviour)).to.deep.equal(['connection-flood', 'failed-connections']);
    const telemetry = report.received.filter((entry) => entry.kind === 'telemetry') as Array<{ ts: number; message: any }>;
    const during = (behaviour: string) => telemetry.filter((entry) => labelAt(report, entry.ts) === behaviour);
    // A telemetry interval (1 s) ending just after a window still holds the episode's tail: not normal traffic.
    const normal = during('normal').filter((entry) => !report.windows.some((window) => entry.ts > window.endMs && entry.ts <= window.endMs + 2_000));
    const max = (entries: typeof telemetry, pick: (network: any) => number) => Math.max(...entries.map((entry) => pick(entry.message.body.network)));
    expect(max(during('connection-flood'), (network) => network.establishedConnections)).to.be.greaterThan(
      10 * Math.max(1, max(normal, (network) => network.establishedConnections)),
    );
    expect(max(during('failed-connections'), (network) => network.failedConnectionsPerSec)).to.be.greaterThan(
      5 * Math.max(0.5, max(normal, (network) => network.failedConnectionsPerSec)),
    );
  });

  it('scores every produced behaviour and counts false alerts per device-hour', function () {
    const scored = report.detectors.filter((score) => score.episodes > 0).map((score) => score.behaviour);
    expect(scored).to.deep.equal(['failed-connections', 'connection-flood']);
    expect(report.judgedHours).to.be.greaterThan(0);
    expect(report.falseAlertsPerDeviceHour).to.equal(report.falseAlerts / report.judgedHours);
    expect(formatRealReport(report)).to.match(/connection-flood\s+1\s+[01]/);
  });

  it('exports the run as labelled dataset windows (npm run dataset -- --real), refusing what is no recording', function () {
    const directory = mkdtempSync(join(tmpdir(), 'net-dataset-'));
    try {
      const recording = join(directory, 'real.jsonl');
      writeFileSync(recording, report.received.map((entry) => JSON.stringify({ label: labelAt(report, entry.ts), message: entry.message })).join('\n'));
      const result = buildRealDataset({ recording, out: join(directory, 'windows'), warmupMinutes: 1, windowSeconds: 10 });
      expect(result.rows).to.be.greaterThan(10);
      const rows = readFileSync(result.paths.jsonl, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
      expect(rows.map((row) => row.behaviour)).to.include.members(['normal', 'connection-flood', 'failed-connections']);
      writeFileSync(recording, '{"label":"normal"}\n');
      expect(() => buildRealDataset({ recording, out: join(directory, 'bad'), warmupMinutes: 1, windowSeconds: 10 })).to.throw(
        /line 1 is not an eval:real recording entry/,
      );
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('leaves no namespace, link or process behind', function () {
    expect(captureProcessesOfLab(labId)).to.deep.equal([]);
    const namespaces = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    expect(namespaces).not.to.include(`net-${labId}-`);
    expect(spawnSync('ip', ['link', 'show', `net-${labId}-h`]).status).to.not.equal(0);
  });
});
