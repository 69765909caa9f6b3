import { expect } from 'chai';
import { Wallet, ZeroHash } from 'ethers';
import { acceptAlert, ALERT_NOTIFICATION_KIND } from '../../../oracle/src/ingest/acceptAlert';
import {
  alertsOf,
  notificationsFor,
  readEvents,
  upsertEntity,
  upsertTwin,
  type EntityRoleName,
  type EntityStatusName,
  type Store,
} from '../../../store/src';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { AlertBody } from '../../../twin-core/src/messages/alert';
import { signMessage } from '../../../twin-core/src/signing/messageSignature';
import { createTestDatabase } from '../../helpers/store';

const deviceIdOf = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hex;

describe('oracle: security alerts (acceptAlert)', async function () {
  const security = new Wallet(Wallet.createRandom().privateKey);
  const stranger = new Wallet(Wallet.createRandom().privateKey);
  const owner = Wallet.createRandom().address;
  const deviceId = deviceIdOf(7);
  let index: Store;

  const entity = (account: string, role: EntityRoleName, status: EntityStatusName = 'approved') =>
    upsertEntity(index, {
      account,
      entityId: 1,
      role,
      status,
      name: role,
      profileHash: ZeroHash as Hex,
      profileCid: '',
      registeredBlock: 1,
      updatedBlock: 1,
    });

  beforeEach(async function () {
    index = await (await createTestDatabase()).open();
    await entity(security.address, 'security');
    await entity(stranger.address, 'owner');
    await upsertTwin(index, {
      deviceId,
      owner,
      manufacturer: owner,
      deviceSigner: owner,
      state: 'active',
      forSale: false,
      price: 0n,
      staticHash: ZeroHash,
      staticCid: 'bafkrei-static',
      updateCount: 0,
      reviewRequested: false,
      mintedBlock: 1,
      updatedBlock: 1,
    });
  });

  afterEach(async function () {
    await index.close();
  });

  const body = (overrides: Partial<AlertBody> = {}): AlertBody => ({
    alertId: `${deviceId}/connection-flood/1000`,
    behaviour: 'connection-flood',
    score: 0.9,
    status: 'open',
    window: { from: '2026-11-21T10:00:00.000Z', to: '2026-11-21T10:00:30.000Z' },
    evidenceCid: 'bafkrei-evidence',
    action: 'notified',
    tx: null,
    ...overrides,
  });
  const alert = (
    wallet: Wallet,
    overrides: Partial<AlertBody> = {},
    ts = '2026-11-21T10:00:31.000Z',
    by = wallet.address,
  ) =>
    signMessage(
      { v: 1 as const, kind: 'alert' as const, deviceId, by, ts, body: body(overrides) },
      wallet.privateKey as Hex,
    );
  const accept = (message: unknown, topic = `twins/${deviceId}/alerts`) =>
    acceptAlert({
      index,
      topic,
      payload: Buffer.from(JSON.stringify(message)),
      maxPayloadBytes: 65_536,
      now: Date.now(),
    });
  const notifications = async () =>
    (await notificationsFor(index, owner)).filter((item) => item.kind === ALERT_NOTIFICATION_KIND);
  const alertEvents = async () =>
    (await readEvents(index, { after: 0 })).events.filter((event) => event.kind === 'alert');

  it("indexes a security entity's signed alert and notifies the twin's owner", async function () {
    const verdict = await accept(alert(security));
    expect(verdict.ok).to.equal(true);
    expect(await alertsOf(index, deviceId)).to.have.length(1);
    expect((await alertsOf(index, deviceId))[0]).to.include({
      behaviour: 'connection-flood',
      status: 'open',
      by: security.address,
    });
    expect(await notifications()).to.have.length(1);
    expect((await notifications())[0]!.payload).to.include({ behaviour: 'connection-flood', action: 'notified' });
    // The outbox event of the alert, in the same transaction: ids only.
    const events = await alertEvents();
    expect(events.map((event) => [event.deviceId, event.payload])).to.deep.equal([
      [deviceId, { by: security.address, alertId: body().alertId }],
    ]);
  });

  it('notifies again only when the status or the action changes; an older message changes nothing', async function () {
    await accept(alert(security));
    await accept(alert(security, { score: 0.95 }, '2026-11-21T10:00:35.000Z'));
    expect(await notifications()).to.have.length(1);
    await accept(alert(security, { action: 'suspended', tx: `0x${'12'.repeat(32)}` }, '2026-11-21T10:00:36.000Z'));
    await accept(alert(security, { action: 'suspended', status: 'closed' }, '2026-11-21T10:01:00.000Z'));
    expect(await notifications()).to.have.length(3);
    const stale = await accept(alert(security, { status: 'open' }, '2026-11-21T10:00:32.000Z'));
    expect(stale.ok).to.equal(true);
    const [latest] = await alertsOf(index, deviceId);
    expect(latest).to.include({ status: 'closed', action: 'suspended', score: 0.9 });
    expect(latest!.tx).to.equal(`0x${'12'.repeat(32)}`);
    // One event per change (new, update, action, status), none for the older message.
    expect(await alertEvents()).to.have.length(4);
  });

  it('refuses an alert whose signature is not by its `by` address as wrong-signer, one that recovers nothing as bad-signature', async function () {
    const forged = alert(stranger, {}, undefined, security.address);
    const verdict = await accept(forged);
    expect(verdict.ok).to.equal(false);
    expect(!verdict.ok && verdict.rejection.reason).to.equal('wrong-signer');
    const unrecoverable = { ...alert(security), sig: `0x${'00'.repeat(65)}` };
    expect(await accept(unrecoverable)).to.deep.include({ ok: false });
    expect(((await accept(unrecoverable)) as { rejection: { reason: string } }).rejection.reason).to.equal(
      'bad-signature',
    );
    expect(await alertsOf(index, deviceId)).to.have.length(0);
  });

  it('refuses an alert with a field its signer did not sign, naming it, instead of indexing it stripped', async function () {
    const extra = { ...alert(security), note: 'call +1-555-0100' };
    const verdict = await accept(extra);
    expect(!verdict.ok && verdict.rejection.reason).to.equal('invalid-schema');
    expect(!verdict.ok && verdict.rejection.detail).to.contain('note');
    expect(await alertsOf(index, deviceId)).to.have.length(0);
  });

  it('refuses an alert signed by an entity that is not an approved security entity', async function () {
    const verdict = await accept(alert(stranger));
    expect(!verdict.ok && verdict.rejection.reason).to.equal('not-security-entity');
    await entity(security.address, 'security', 'revoked');
    expect((await accept(alert(security))).ok).to.equal(false);
    expect(await notifications()).to.have.length(0);
  });

  it('refuses a bad schema, an alert on another twin’s topic and an unknown twin', async function () {
    const invalid = await accept({ ...alert(security), body: { ...body(), score: 7 } });
    expect(!invalid.ok && invalid.rejection.reason).to.equal('invalid-schema');
    expect(!invalid.ok && invalid.rejection.detail).to.include('score');
    const elsewhere = await accept(alert(security), `twins/${deviceIdOf(8)}/alerts`);
    expect(!elsewhere.ok && elsewhere.rejection.reason).to.equal('topic-mismatch');
    const unknown = signMessage(
      {
        v: 1 as const,
        kind: 'alert' as const,
        deviceId: deviceIdOf(9),
        by: security.address,
        ts: '2026-11-21T10:00:31.000Z',
        body: body(),
      },
      security.privateKey as Hex,
    );
    const verdict = await accept(unknown, `twins/${deviceIdOf(9)}/alerts`);
    expect(!verdict.ok && verdict.rejection.reason).to.equal('unknown-twin');
    expect((await accept('not json at all'.slice(0))).ok).to.equal(false);
    expect(await alertEvents()).to.deep.equal([]);
  });
});
