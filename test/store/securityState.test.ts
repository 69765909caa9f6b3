import { expect } from 'chai';
import {
  MAX_SECURITY_ROWS_PER_STATEMENT,
  StoreError,
  deleteSecurityDeviceStates,
  deleteSecurityHandled,
  deleteSecurityWatched,
  listSecurityDeviceStates,
  listSecurityHandled,
  listSecurityWatched,
  saveSecurityDeviceStates,
  saveSecurityHandled,
  saveSecurityWatched,
  type Store,
} from '../../store/src';
import { createTestDatabase } from '../helpers/store';
import { rejectionOf } from '../helpers/thrownBy';

const deviceIdOf = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const ENTITY = '0x5B38Da6a701c568545dCfcB03FcB875f56beddC4';
const OTHER = '0xAb8483F64d9C6d1EcF9b849Ae677dD3315835cb2';
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

/** Every saved state of an entity, page by page. */
async function allStates(store: Store, entity: string, limit: number) {
  const all = [];
  for (let page = await listSecurityDeviceStates(store, entity, { limit }); page.length > 0; ) {
    all.push(...page);
    page = await listSecurityDeviceStates(store, entity, { after: page.at(-1)!.deviceId, limit });
  }
  return all;
}

describe("store: the security service's state (migration 3)", function () {
  this.timeout(60_000);
  let store: Store;
  before(async function () {
    store = await (await createTestDatabase()).open();
  });

  it('saves device states in bounded multi-row upserts, replaces them, lists them by pages, deletes them', async function () {
    const count = 2 * MAX_SECURITY_ROWS_PER_STATEMENT + 1;
    const states = Array.from({ length: count }, (_, n) => ({
      deviceId: deviceIdOf(n + 1),
      state: bytes(100, n % 251),
    }));
    let statements = 0;
    const counting = {
      ...store,
      kind: 'store' as const,
      query: ((...args: Parameters<Store['query']>) => {
        statements++;
        return store.query(...args);
      }) as Store['query'],
    };
    expect(await saveSecurityDeviceStates(counting as Store, ENTITY, states, '2026-06-01T00:00:00Z')).to.equal(count);
    expect(statements).to.equal(3);
    const saved = await allStates(store, ENTITY, 400);
    expect(saved).to.have.length(count);
    expect(saved[0]).to.deep.equal({
      deviceId: deviceIdOf(1),
      state: bytes(100, 0),
      updatedAt: '2026-06-01T00:00:00.000Z',
    });
    expect(saved.map((row) => row.deviceId)).to.deep.equal(states.map((row) => row.deviceId));

    // A later save replaces the state and its time; an upper-case DeviceID is the same device.
    const replaced = { deviceId: deviceIdOf(2).toUpperCase().replace('0X', '0x'), state: bytes(3, 9) };
    expect(await saveSecurityDeviceStates(store, ENTITY, [replaced], '2026-06-01T00:00:05Z')).to.equal(1);
    expect((await listSecurityDeviceStates(store, ENTITY, { after: deviceIdOf(1), limit: 1 }))[0]).to.deep.equal({
      deviceId: deviceIdOf(2),
      state: bytes(3, 9),
      updatedAt: '2026-06-01T00:00:05.000Z',
    });
    expect(
      await deleteSecurityDeviceStates(
        store,
        ENTITY,
        states.slice(1).map((row) => row.deviceId),
      ),
    ).to.equal(count - 1);
    expect((await allStates(store, ENTITY, 1_000)).map((row) => row.deviceId)).to.deep.equal([deviceIdOf(1)]);
  });

  it("keeps each entity's rows apart, the address compared ignoring case", async function () {
    const deviceId = deviceIdOf(77);
    await saveSecurityDeviceStates(store, OTHER, [{ deviceId, state: bytes(5, 1) }]);
    await saveSecurityHandled(store, OTHER, [
      { alertId: `${deviceId}/beaconing/1`, deviceId, record: { action: 'notified' } },
    ]);
    await saveSecurityWatched(store, OTHER, [{ deviceId, record: null }]);
    expect((await listSecurityDeviceStates(store, ENTITY)).map((row) => row.deviceId)).to.not.include(deviceId);
    expect(await listSecurityHandled(store, ENTITY)).to.deep.equal([]);
    expect(await listSecurityWatched(store, ENTITY)).to.deep.equal([]);
    const lower = OTHER.toLowerCase();
    expect(await listSecurityDeviceStates(store, lower)).to.have.length(1);
    expect(await listSecurityHandled(store, lower)).to.deep.equal([
      { alertId: `${deviceId}/beaconing/1`, deviceId, record: { action: 'notified' } },
    ]);
    expect(await listSecurityWatched(store, OTHER)).to.deep.equal([{ deviceId, record: null }]);
    // Deleting another entity's rows deletes nothing.
    expect(await deleteSecurityDeviceStates(store, ENTITY, [deviceId])).to.equal(0);
    expect(await deleteSecurityHandled(store, ENTITY, [`${deviceId}/beaconing/1`])).to.equal(0);
    expect(await deleteSecurityWatched(store, ENTITY, [deviceId])).to.equal(0);
  });

  it('saves, replaces and deletes handled alerts and watched twins', async function () {
    const deviceId = deviceIdOf(5);
    const alert = (score: number) => ({ alert: { id: `${deviceId}/connection-flood/9`, score }, action: 'suspended' });
    const handled = [{ alertId: `${deviceId}/connection-flood/9`, deviceId, record: alert(0.6) }];
    expect(await saveSecurityHandled(store, ENTITY, handled)).to.equal(1);
    expect(await saveSecurityHandled(store, ENTITY, [{ ...handled[0]!, record: alert(0.9) }])).to.equal(1);
    expect(await listSecurityHandled(store, ENTITY)).to.deep.equal([{ ...handled[0], record: alert(0.9) }]);
    expect(
      await saveSecurityWatched(store, ENTITY, [
        { deviceId, record: alert(0.9) },
        { deviceId: deviceIdOf(6), record: null },
      ]),
    ).to.equal(2);
    expect(await listSecurityWatched(store, ENTITY, { after: deviceId })).to.deep.equal([
      { deviceId: deviceIdOf(6), record: null },
    ]);
    expect(await deleteSecurityHandled(store, ENTITY, [handled[0]!.alertId])).to.equal(1);
    expect(await deleteSecurityWatched(store, ENTITY, [deviceId, deviceIdOf(6)])).to.equal(2);
    expect(await listSecurityHandled(store, ENTITY)).to.deep.equal([]);
    expect(await listSecurityWatched(store, ENTITY)).to.deep.equal([]);
  });

  it('refuses bad input naming the field: entity, DeviceID, state size, a device twice, no record', async function () {
    const deviceId = deviceIdOf(9);
    const cases: [Promise<unknown>, string][] = [
      [saveSecurityDeviceStates(store, 'nobody', [{ deviceId, state: bytes(1, 1) }]), 'Invalid security entity'],
      [saveSecurityDeviceStates(store, ENTITY, [{ deviceId: '0x12', state: bytes(1, 1) }]), 'Invalid DeviceID'],
      [saveSecurityDeviceStates(store, ENTITY, [{ deviceId, state: bytes(0, 0) }]), 'Invalid device state'],
      [saveSecurityDeviceStates(store, ENTITY, [{ deviceId, state: bytes(1_048_577, 0) }]), 'Invalid device state'],
      [
        saveSecurityDeviceStates(store, ENTITY, [
          { deviceId, state: bytes(1, 1) },
          { deviceId, state: bytes(1, 2) },
        ]),
        'A device state given twice',
      ],
      [saveSecurityHandled(store, ENTITY, [{ alertId: '', deviceId, record: {} }]), 'Invalid alert ID'],
      [saveSecurityHandled(store, ENTITY, [{ alertId: 'a', deviceId, record: undefined }]), 'Invalid security record'],
      [listSecurityDeviceStates(store, ENTITY, { limit: 0 }), 'Invalid page size'],
    ];
    for (const [promise, message] of cases) {
      const error = await rejectionOf(promise);
      expect(error, message).to.be.instanceOf(StoreError);
      expect(error.message).to.contain(message);
    }
    expect(await listSecurityDeviceStates(store, ENTITY, { after: deviceIdOf(8) })).to.deep.equal([]);
  });
});
