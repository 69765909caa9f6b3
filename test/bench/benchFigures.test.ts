import { expect } from 'chai';
import { parseAgentBenchOutput } from '../../bench/agent/runAgentBench';
import { acceptRate, anchoredLatency, throughput } from '../../bench/ingest/ingestFigures';
import { percentile, slope, summarizeLatency } from '../../bench/lib/stats';
import { BENCH_SIZES, parseBenchArguments } from '../../bench/options';
import { formatTable } from '../../bench/report/formatTable';

describe('bench figures (bench/)', function () {
  it('takes percentiles by nearest rank and summarises latencies', function () {
    expect(percentile([5, 1, 3], 50)).to.equal(3);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        99,
      ),
    ).to.equal(99);
    expect(Number.isNaN(percentile([], 50))).to.equal(true);
    expect(summarizeLatency([120, 80, 4000])).to.deep.equal({ count: 3, p50Ms: 120, p99Ms: 4000, maxMs: 4000 });
    expect(slope([0, 1, 2], [10, 12, 14])).to.equal(2);
  });

  it('measures throughput from the first publish to the last completion, counting only the phase', function () {
    const completions = [
      { at: 500, count: 7 }, // before the phase: ignored
      { at: 2_000, count: 1024 },
      { at: 4_000, count: 1024 },
      { at: 5_000, count: 500 },
    ];
    expect(throughput(completions, 1_000, 2_000)).to.deep.equal({
      published: 2_000,
      completed: 2_000,
      seconds: 3,
      perSecond: 666.7,
    });
    expect(throughput([], 1_000, 10)).to.deep.include({ completed: 0, perSecond: 0 });
  });

  it('takes publish-to-anchored latency per snapshot, leaving out those not anchored', function () {
    const anchoredAt = new Map([
      ['0xa:1', 9_000],
      ['0xa:2', 9_000],
    ]);
    const latency = anchoredLatency(
      [
        ['0xa', 1, 1_000],
        ['0xa', 2, 2_000],
        ['0xb', 1, 2_000],
      ],
      anchoredAt,
    );
    expect(latency).to.deep.equal({ count: 2, p50Ms: 7_000, p99Ms: 8_000, maxMs: 8_000 });
  });

  it("takes the oracle's judging rate between 10% and 90% of the phase", function () {
    const samples = [0, 100, 500, 900, 1000].map((accepted, i) => ({
      at: i * 1_000,
      stats: { accepted: accepted + 50 },
    }));
    expect(acceptRate(samples, 50, 1_000)).to.equal(400);
  });

  it("reads the agent benchmark's printed figures", function () {
    const text =
      'Agent footprint…\n  full snapshot, CPU ms (median)       42.8\n  peak RSS of the process, MiB         100.1\n  Node.js  v24.1.0\n';
    expect(parseAgentBenchOutput(text)).to.deep.equal({
      'full snapshot, CPU ms (median)': 42.8,
      'peak RSS of the process, MiB': 100.1,
    });
  });

  it('parses the command line: quick sizes, sections, soak, brokers, ingest sizes', function () {
    const full = parseBenchArguments([]);
    expect(full.quick).to.equal(false);
    expect(full.sections).to.deep.equal(['gas', 'ingest', 'api', 'agent']);
    expect(full.sizes.devices).to.deep.equal([1_000, 10_000]);
    expect(full.soakMinutes).to.equal(10);
    const quick = parseBenchArguments(['--quick', '--only', 'gas,api', '--soak', '--brokers', 'aedes']);
    expect(quick.sizes).to.deep.equal(BENCH_SIZES.quick);
    expect(quick.sections).to.deep.equal(['gas', 'api', 'soak']);
    expect(quick.soakMinutes).to.equal(1);
    expect(quick.brokers).to.deep.equal(['aedes']);
    expect(parseBenchArguments(['--soak-minutes', '3', '--devices', '500']).sizes.devices).to.deep.equal([500]);
    const longer = parseBenchArguments(['--quick', '--api-seconds', '12']).sizes;
    expect([longer.apiSeconds, longer.devices]).to.deep.equal([12, BENCH_SIZES.quick.devices]);
    const moderate = parseBenchArguments(['--quick', '--telemetry', '10000', '--snapshots', '3000']).sizes;
    expect([moderate.telemetry, moderate.snapshots, moderate.paced]).to.deep.equal([
      10_000,
      3_000,
      BENCH_SIZES.quick.paced,
    ]);
    expect(() => parseBenchArguments(['--snapshots', 'many'])).to.throw(/--snapshots must be a positive integer/);
    expect(() => parseBenchArguments(['--api-seconds', '0'])).to.throw(/--api-seconds must be a positive integer/);
    expect([full.apiRuns, full.apiCompare]).to.deep.equal([1, undefined]);
    const compared = parseBenchArguments(['--only', 'api', '--api-runs', '3', '--api-compare', '../before']);
    expect([compared.apiRuns, compared.apiCompare]).to.deep.equal([3, '../before']);
    expect(() => parseBenchArguments(['--api-runs', '0'])).to.throw(/--api-runs must be a positive integer/);
    expect(() => parseBenchArguments(['--api-compare'])).to.throw(/--api-compare needs a directory/);
    expect(() => parseBenchArguments(['--only', 'gas,speed'])).to.throw(/unknown "speed"/);
    expect(() => parseBenchArguments(['--fast'])).to.throw(/unknown option --fast/);
  });

  it('prints rows with their targets and verdicts, as text and as Markdown', function () {
    const rows = [
      { section: 'api', figure: 'GET /twins/:deviceId p99', value: 12, unit: 'ms', target: '< 20', verdict: 'met' },
      {
        section: 'soak',
        figure: '(no figures)',
        value: undefined,
        unit: '',
        target: '',
        verdict: 'skipped: not requested',
      },
    ];
    const text = formatTable(rows);
    expect(text).to.match(/^section\s+figure\s+value\s+target\s+verdict/);
    expect(text).to.include('12 ms').and.include('< 20 ms').and.include('met').and.include('–');
    expect(formatTable(rows, true).split('\n')[1]).to.match(/^\| -+ \| -+ \| -+: \|/);
  });
});
