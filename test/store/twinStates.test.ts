import { expect } from 'chai';
import { getTwinState, setDesiredState, setReportedState, withTransaction, type Store } from '../../store/src';
import { createTestDatabase } from '../helpers/store';
import { rejectionOf } from '../helpers/thrownBy';

const deviceIdOf = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as const;

describe("store: twins' state documents", function () {
  this.timeout(60_000);
  let store: Store;
  before(async function () {
    store = await (await createTestDatabase()).open();
  });

  describe("when a twin's state document is written", function () {
    const t0 = Date.parse('2026-05-01T00:00:00Z');

    it('starts empty at version 0 and versions each desired write, keeping unchanged fields’ times', async function () {
      const id = deviceIdOf(40);
      expect(await getTwinState(store, id)).to.deep.equal({
        desired: {},
        reported: null,
        version: 0,
        desiredTimes: {},
        reportedTimes: {},
        updatedAt: null,
      });
      const desired = { intervals: { telemetrySeconds: 5 }, actuators: { fan: { on: true, level: 40 } } };
      expect(await setDesiredState(store, id, desired, 0, t0)).to.equal(1);
      expect(await setDesiredState(store, id, { intervals: { telemetrySeconds: 9 } }, 0, t0 + 1)).to.equal(undefined);
      // The same fan in another member order: unchanged, its time kept.
      const next = { actuators: { fan: { level: 40, on: true } }, intervals: { telemetrySeconds: 10 } };
      expect(await setDesiredState(store, id, next, 1, t0 + 1_000)).to.equal(2);
      const state = await getTwinState(store, id);
      expect(state).to.deep.include({ desired: next, reported: null, version: 2 });
      expect(state.desiredTimes).to.deep.equal({
        'actuators.fan': new Date(t0).toISOString(),
        'intervals.telemetrySeconds': new Date(t0 + 1_000).toISOString(),
      });
      expect(state.updatedAt).to.equal(new Date(t0 + 1_000).toISOString());
    });

    it('records reports only when they change (member order aside), keeping the desired side', async function () {
      const id = deviceIdOf(41);
      const reported = { intervals: { telemetrySeconds: 5, snapshotSeconds: 60 } };
      expect(await setReportedState(store, id, reported, t0)).to.equal(true);
      expect(
        await setReportedState(store, id, { intervals: { snapshotSeconds: 60, telemetrySeconds: 5 } }, t0 + 5),
      ).to.equal(false);
      expect(await setDesiredState(store, id, { intervals: { telemetrySeconds: 7 } }, 0, t0 + 10)).to.equal(1);
      expect(
        await setReportedState(store, id, { intervals: { telemetrySeconds: 7, snapshotSeconds: 60 } }, t0 + 20),
      ).to.equal(true);
      const state = await getTwinState(store, id);
      expect(state).to.deep.include({ version: 1, desired: { intervals: { telemetrySeconds: 7 } } });
      expect(state.reportedTimes).to.deep.equal({
        'intervals.telemetrySeconds': new Date(t0 + 20).toISOString(),
        'intervals.snapshotSeconds': new Date(t0).toISOString(),
      });
    });

    it('lets exactly one of concurrent writers at one version win, creating the document or not', async function () {
      const id = deviceIdOf(42);
      const writers = (version: number) =>
        Promise.all(
          Array.from({ length: 8 }, (_, n) =>
            setDesiredState(store, id, { intervals: { telemetrySeconds: 1 + n } }, version, t0 + n),
          ),
        );
      const created = await writers(0);
      expect(created.filter((version) => version === 1)).to.have.length(1);
      expect(created.filter((version) => version === undefined)).to.have.length(7);
      const updated = await writers(1);
      expect(updated.filter((version) => version === 2)).to.have.length(1);
      const winner = updated.findIndex((version) => version === 2);
      expect(await getTwinState(store, id)).to.deep.include({
        version: 2,
        desired: { intervals: { telemetrySeconds: 1 + winner } },
      });
    });

    it('changes a report once when instances record it at the same moment, and a new document too', async function () {
      const id = deviceIdOf(43);
      const reported = { intervals: { telemetrySeconds: 3, snapshotSeconds: 60 } };
      const changed = await Promise.all(Array.from({ length: 6 }, () => setReportedState(store, id, reported, t0)));
      expect(changed.filter(Boolean)).to.have.length(1);
    });

    it("rolls back with the caller's transaction", async function () {
      const id = deviceIdOf(44);
      await rejectionOf(
        withTransaction(store, async (tx) => {
          expect(await setDesiredState(tx, id, { intervals: { telemetrySeconds: 4 } }, 0, t0)).to.equal(1);
          throw new Error('the command could not be signed');
        }),
      );
      expect((await getTwinState(store, id)).version).to.equal(0);
    });
  });
});
