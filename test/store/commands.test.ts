import { expect } from 'chai';
import {
  commandsChangedSince,
  expireCommands,
  getCommand,
  insertCommand,
  listCommands,
  updateCommandStatus,
  withTransaction,
  type CommandInput,
  type Store,
} from '../../store/src';
import type { Hex } from '../../twin-core/src/encoding/hex';
import { createTestDatabase, type TestDatabase } from '../helpers/store';
import { rejectionOf } from '../helpers/thrownBy';

const device = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hex;
const commandId = (n: number) => `0x${n.toString(16).padStart(64, 'c')}` as Hex;
const OWNER = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const T0 = Date.parse('2026-03-01T00:00:00Z');
const command = (n: number, overrides: Partial<CommandInput> = {}): CommandInput => ({
  commandId: commandId(n),
  deviceId: device(1),
  command: 'ping',
  args: { n },
  nonce: `nonce-${n}`,
  expiry: T0 / 1000 + 60,
  signer: OWNER,
  sig: `0x${'ab'.repeat(65)}`,
  createdAt: T0 + n,
  ...overrides,
});

describe('store: commands (owner-signed, their results, the change feed)', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let store: Store;
  beforeEach(async function () {
    database = await createTestDatabase();
    store = await database.open();
  });
  afterEach(async function () {
    await store.close();
  });

  describe('when a command is recorded', function () {
    it('stores it pending, refusing a known ID or a known nonce of the device', async function () {
      expect(await insertCommand(store, command(1))).to.equal(true);
      expect(await insertCommand(store, command(1, { nonce: 'other' }))).to.equal(false);
      expect(await insertCommand(store, command(2, { nonce: 'nonce-1' }))).to.equal(false);
      expect(await insertCommand(store, command(3, { nonce: 'nonce-1', deviceId: device(2) }))).to.equal(true);
      expect(await getCommand(store, device(1), commandId(1).toUpperCase().replace('0X', '0x'))).to.deep.equal({
        commandId: commandId(1),
        deviceId: device(1),
        command: 'ping',
        args: { n: 1 },
        nonce: 'nonce-1',
        expiry: T0 / 1000 + 60,
        signer: OWNER,
        sig: `0x${'ab'.repeat(65)}`,
        status: 'pending',
        result: null,
        error: null,
        createdAt: new Date(T0 + 1).toISOString(),
        updatedAt: new Date(T0 + 1).toISOString(),
        updateSeq: 1,
      });
      expect(await getCommand(store, device(2), commandId(1))).to.equal(undefined); // another device's
    });

    it('stores one whose text, args, result or error hold U+0000 (as U+FFFD)', async function () {
      const input = command(9, { command: 'pi\u0000ng', args: { 'k\u0000': 'v\u0000' }, nonce: 'n\u0000' });
      expect(await insertCommand(store, input)).to.equal(true);
      expect(await getCommand(store, device(1), commandId(9))).to.deep.include({
        command: 'pi\uFFFDng',
        args: { 'k\uFFFD': 'v\uFFFD' },
        nonce: 'n\uFFFD',
      });
      const delivered = { deviceId: device(1), commandId: commandId(9), at: T0 + 20 };
      expect(
        await updateCommandStatus(store, { ...delivered, status: 'delivered', result: { out: 'a\u0000' } }),
      ).to.deep.include({ status: 'delivered', result: { out: 'a\uFFFD' } });
      expect(
        await updateCommandStatus(store, { ...delivered, status: 'failed', error: { code: 'E', message: '\u0000' } }),
      ).to.deep.include({ status: 'failed', error: { code: 'E', message: '\uFFFD' } });
    });

    it('keeps an upper-case command ID lower-case, found and updated by either spelling', async function () {
      const upper = `0x${'AB'.repeat(32)}` as Hex;
      expect(await insertCommand(store, command(10, { commandId: upper }))).to.equal(true);
      expect(await insertCommand(store, command(11, { commandId: upper.toLowerCase() as Hex }))).to.equal(false);
      expect((await getCommand(store, device(1), upper))?.commandId).to.equal(upper.toLowerCase());
      const update = { deviceId: device(1), commandId: upper, status: 'delivered' as const, at: T0 + 20 };
      expect((await updateCommandStatus(store, update))?.status).to.equal('delivered');
      const bad = await rejectionOf(insertCommand(store, command(12, { commandId: 'not-hex' as Hex })));
      expect((bad as { shortMessage?: string }).shortMessage).to.equal('Invalid command ID.');
    });

    it('keeps the newest keepPerDevice commands of a device', async function () {
      for (let n = 1; n <= 5; n++) await insertCommand(store, command(n, { keepPerDevice: 3 }));
      await insertCommand(store, command(9, { deviceId: device(2), keepPerDevice: 3 }));
      expect((await listCommands(store, device(1))).map((c) => c.nonce)).to.deep.equal([
        'nonce-5',
        'nonce-4',
        'nonce-3',
      ]);
      expect((await listCommands(store, device(1), 1)).map((c) => c.nonce)).to.deep.equal(['nonce-5']);
      expect(await listCommands(store, device(2))).to.have.length(1);
    });

    it('keeps one when two instances record the same command at once, with distinct change numbers', async function () {
      const other = await database.open();
      try {
        const results = await Promise.all([store, other, store, other].map((db) => insertCommand(db, command(1))));
        expect(results.filter(Boolean)).to.have.length(1);
        await Promise.all(
          Array.from({ length: 20 }, (_, i) => insertCommand(i % 2 === 0 ? store : other, command(10 + i))),
        );
      } finally {
        await other.close();
      }
      const feed = await commandsChangedSince(store, 0, 100);
      expect(feed.map((c) => c.updateSeq)).to.deep.equal(Array.from({ length: 21 }, (_, i) => i + 1));
    });
  });

  describe('when a command moves on', function () {
    it('moves forward only, with the result or error, each change numbered for the feed', async function () {
      await insertCommand(store, command(1));
      await insertCommand(store, command(2));
      const delivered = await updateCommandStatus(store, {
        deviceId: device(1),
        commandId: commandId(1),
        status: 'delivered',
        at: T0 + 10,
      });
      expect(delivered).to.deep.include({
        status: 'delivered',
        updateSeq: 3,
        updatedAt: new Date(T0 + 10).toISOString(),
      });
      const done = await updateCommandStatus(store, {
        deviceId: device(1),
        commandId: commandId(1),
        status: 'succeeded',
        result: { pong: true },
        at: T0 + 20,
      });
      expect(done).to.deep.include({ status: 'succeeded', result: { pong: true }, error: null, updateSeq: 4 });
      for (const status of ['delivered', 'failed', 'pending'] as const) {
        expect(
          await updateCommandStatus(store, { deviceId: device(1), commandId: commandId(1), status, at: T0 + 30 }),
        ).to.equal(undefined);
      }
      expect(
        await updateCommandStatus(store, { deviceId: device(2), commandId: commandId(1), status: 'failed', at: T0 }),
      ).to.equal(undefined); // another device's
      const failed = await updateCommandStatus(store, {
        deviceId: device(1),
        commandId: commandId(2),
        status: 'failed',
        error: { code: 'unsupported', message: 'no such command' },
        at: T0 + 40,
      });
      expect(failed).to.deep.include({ status: 'failed', error: { code: 'unsupported', message: 'no such command' } });
      expect((await commandsChangedSince(store, 2, 10)).map((c) => [c.nonce, c.status, c.updateSeq])).to.deep.equal([
        ['nonce-1', 'succeeded', 4],
        ['nonce-2', 'failed', 5],
      ]);
      expect(await commandsChangedSince(store, 4, 1)).to.have.length(1);
    });

    it('lets one of two instances’ results win', async function () {
      await insertCommand(store, command(1));
      const other = await database.open();
      try {
        const results = await Promise.all([
          updateCommandStatus(store, {
            deviceId: device(1),
            commandId: commandId(1),
            status: 'succeeded',
            result: { by: 1 },
            at: T0 + 1,
          }),
          updateCommandStatus(other, {
            deviceId: device(1),
            commandId: commandId(1),
            status: 'failed',
            error: { code: 'x', message: 'y' },
            at: T0 + 1,
          }),
          updateCommandStatus(other, { deviceId: device(1), commandId: commandId(1), status: 'expired', at: T0 + 1 }),
        ]);
        expect(results.filter((result) => result !== undefined)).to.have.length(1);
      } finally {
        await other.close();
      }
      const stored = (await getCommand(store, device(1), commandId(1)))!;
      expect(['succeeded', 'failed', 'expired']).to.include(stored.status);
      expect(stored.updateSeq).to.equal(2);
    });

    it('expires the open commands past their expiry, once', async function () {
      await insertCommand(store, command(1, { expiry: T0 / 1000 + 10 }));
      await insertCommand(store, command(2, { expiry: T0 / 1000 + 10 }));
      await insertCommand(store, command(3, { expiry: T0 / 1000 + 100 }));
      await updateCommandStatus(store, { deviceId: device(1), commandId: commandId(2), status: 'succeeded', at: T0 });
      const other = await database.open();
      try {
        const counts = await Promise.all([expireCommands(store, T0 + 11_000), expireCommands(other, T0 + 11_000)]);
        expect(counts.sort()).to.deep.equal([0, 1]);
      } finally {
        await other.close();
      }
      expect((await getCommand(store, device(1), commandId(1)))!.status).to.equal('expired');
      expect((await getCommand(store, device(1), commandId(3)))!.status).to.equal('pending');
      expect(await expireCommands(store, T0 + 101_000)).to.equal(1);
    });

    it('changes nothing when the surrounding transaction fails', async function () {
      await insertCommand(store, command(1));
      await rejectionOf(
        withTransaction(store, async (tx) => {
          await updateCommandStatus(tx, { deviceId: device(1), commandId: commandId(1), status: 'delivered', at: T0 });
          throw new Error('publish failed');
        }),
      );
      expect((await getCommand(store, device(1), commandId(1)))!).to.include({ status: 'pending', updateSeq: 1 });
      expect(await insertCommand(store, command(2))).to.equal(true);
      expect((await getCommand(store, device(1), commandId(2)))!.updateSeq).to.equal(2);
    });
  });
});
