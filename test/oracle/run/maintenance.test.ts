import { expect } from 'chai';
import { startMaintenance } from '../../../oracle/src/run/maintenance';
import { recordEvent, reserveRelayBudget, type Store } from '../../../store/src';
import { createTestDatabase } from '../../helpers/store';
import { waitFor } from '../waitFor';

const SETTINGS = {
  telemetryRetentionDays: 30,
  telemetryPartitionsAhead: 2,
  maxOpenGapsPerDevice: 7,
  gapExpiryHours: 24,
};

describe('oracle: the store upkeep (startMaintenance)', function () {
  this.timeout(60_000);
  let index: Store;
  before(async function () {
    index = await (await createTestDatabase()).open();
  });
  after(async function () {
    await index.close();
  });

  it('runs at start, before it resolves: today’s and the days ahead’s partitions, the gap cap stored', async function () {
    const lines: string[] = [];
    const upkeep = await startMaintenance({
      index,
      settings: SETTINGS,
      intervalMs: 3_600_000,
      log: (level, message) => lines.push(`${level} ${message}`),
    });
    try {
      expect(upkeep).to.include({ runs: 1, failures: 0 });
      const { rows } = await index.query<{ day: string }>(
        "SELECT to_char(day, 'YYYY-MM-DD') AS day FROM telemetry_partitions ORDER BY day",
      );
      const today = new Date().toISOString().slice(0, 10);
      expect(rows.map((row) => row.day)).to.include(today);
      expect(rows.length).to.be.at.least(3); // today and 2 ahead (yesterday too by default)
      const policy = await index.query<{ max_open_gaps: number }>('SELECT max_open_gaps FROM sequence_gap_policy');
      expect(policy.rows[0]!.max_open_gaps).to.equal(7);
      expect(lines).to.include('info store upkeep');
    } finally {
      upkeep.stop();
    }
  });

  it('runs again every interval, one pass after the other, until stopped', async function () {
    const upkeep = await startMaintenance({ index, settings: SETTINGS, intervalMs: 100, log: () => undefined });
    await waitFor(() => upkeep.runs >= 3, 10_000, 'three passes');
    upkeep.stop();
    const runs = upkeep.runs;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(upkeep.runs).to.be.at.most(runs + 1); // at most the pass under way when stopped
    expect(upkeep.failures).to.equal(0);
  });

  it('prunes the outbox events older than eventRetentionMinutes, keeping the newer ones', async function () {
    await recordEvent(index, { kind: 'chain', payload: { block: 1, logIndex: 0 } });
    await index.query("UPDATE events SET created_at = now() - interval '2 hours'");
    await recordEvent(index, { kind: 'chain', payload: { block: 2, logIndex: 0 } });
    const upkeep = await startMaintenance({
      index,
      settings: { ...SETTINGS, eventRetentionMinutes: 60 },
      intervalMs: 3_600_000,
      log: () => undefined,
    });
    upkeep.stop();
    const { rows } = await index.query<{ payload: { block: number } }>('SELECT payload FROM events ORDER BY seq');
    expect(rows.map((row) => row.payload.block)).to.deep.equal([2]);
  });

  it("prunes the API's relayer budgets: ended windows and expired reservations, keeping the current ones", async function () {
    const policy = { windowSeconds: 600, gas: 1_000_000n, requests: 10 };
    const reserve = (entity: string, now: number) =>
      reserveRelayBudget(index, { entity, gas: 1_000n, policy, reservationSeconds: 60, now });
    await reserve('0x70997970C51812dc3A010C7d01b50e0d17dc79C8', Date.now() - 2 * 3_600_000); // ended, expired
    await reserve('0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC', Date.now()); // current, open
    const lines: string[] = [];
    const upkeep = await startMaintenance({
      index,
      settings: SETTINGS,
      intervalMs: 3_600_000,
      log: (level, message, fields) => lines.push(`${level} ${message} ${JSON.stringify(fields)}`),
    });
    upkeep.stop();
    const count = async (table: string) =>
      (await index.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
    expect([await count('relay_budget_windows'), await count('relay_budget_reservations')]).to.deep.equal([1, 1]);
    expect(lines.join('\n')).to.include('"prunedBudgetWindows":1').and.include('"prunedReservations":1');
  });

  it('counts and logs a failed pass, and keeps going', async function () {
    const closed = await (await createTestDatabase()).open();
    await closed.close();
    const lines: string[] = [];
    const upkeep = await startMaintenance({
      index: closed,
      settings: SETTINGS,
      intervalMs: 100,
      log: (level, message, fields) => lines.push(`${level} ${message} ${JSON.stringify(fields)}`),
    });
    await waitFor(() => upkeep.failures >= 2, 10_000, 'two failed passes');
    upkeep.stop();
    expect(upkeep.runs).to.equal(0);
    expect(lines[0]).to.match(/^warn store upkeep failed /);
  });
});
