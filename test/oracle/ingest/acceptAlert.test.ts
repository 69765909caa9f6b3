import { expect } from 'chai';
import { Wallet, ZeroHash } from 'ethers';
import { acceptAlert, ALERT_NOTIFICATION_KIND } from '../../../oracle/src/ingest/acceptAlert';
import { alertsOf } from '../../../oracle/src/index/alerts';
import { upsertEntity, type EntityRoleName, type EntityStatusName } from '../../../oracle/src/index/entities';
import { notificationsFor } from '../../../oracle/src/index/notifications';
import type { Index } from '../../../oracle/src/index/openIndex';
import { upsertTwin } from '../../../oracle/src/index/twins';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { AlertBody } from '../../../twin-core/src/messages/alert';
import { signMessage } from '../../../twin-core/src/signing/messageSignature';
import { deviceIdOf, tempIndex } from '../index/tempIndex';

describe('oracle: security alerts (acceptAlert)', function () {
  const security = new Wallet(Wallet.createRandom().privateKey);
  const stranger = new Wallet(Wallet.createRandom().privateKey);
  const owner = Wallet.createRandom().address;
  const deviceId = deviceIdOf(7);
  let temp: ReturnType<typeof tempIndex>;
  let index: Index;

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

  beforeEach(function () {
    temp = tempIndex();
    index = temp.index;
    entity(security.address, 'security');
    entity(stranger.address, 'owner');
    upsertTwin(index, {
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

  afterEach(function () {
    temp.close();
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
  const notifications = () => notificationsFor(index, owner).filter((item) => item.kind === ALERT_NOTIFICATION_KIND);

  it("indexes a security entity's signed alert and notifies the twin's owner", function () {
    const verdict = accept(alert(security));
    expect(verdict.ok).to.equal(true);
    expect(alertsOf(index, deviceId)).to.have.length(1);
    expect(alertsOf(index, deviceId)[0]).to.include({
      behaviour: 'connection-flood',
      status: 'open',
      by: security.address,
    });
    expect(notifications()).to.have.length(1);
    expect(notifications()[0]!.payload).to.include({ behaviour: 'connection-flood', action: 'notified' });
  });

  it('notifies again only when the status or the action changes; an older message changes nothing', function () {
    accept(alert(security));
    accept(alert(security, { score: 0.95 }, '2026-11-21T10:00:35.000Z'));
    expect(notifications()).to.have.length(1);
    accept(alert(security, { action: 'suspended', tx: `0x${'12'.repeat(32)}` }, '2026-11-21T10:00:36.000Z'));
    accept(alert(security, { action: 'suspended', status: 'closed' }, '2026-11-21T10:01:00.000Z'));
    expect(notifications()).to.have.length(3);
    const stale = accept(alert(security, { status: 'open' }, '2026-11-21T10:00:32.000Z'));
    expect(stale.ok).to.equal(true);
    const [latest] = alertsOf(index, deviceId);
    expect(latest).to.include({ status: 'closed', action: 'suspended', score: 0.9 });
    expect(latest!.tx).to.equal(`0x${'12'.repeat(32)}`);
  });

  it('refuses an alert whose signature is not by its `by` address as wrong-signer, one that recovers nothing as bad-signature', function () {
    const forged = alert(stranger, {}, undefined, security.address);
    const verdict = accept(forged);
    expect(verdict.ok).to.equal(false);
    expect(!verdict.ok && verdict.rejection.reason).to.equal('wrong-signer');
    const unrecoverable = { ...alert(security), sig: `0x${'00'.repeat(65)}` };
    expect(accept(unrecoverable)).to.deep.include({ ok: false });
    expect((accept(unrecoverable) as { rejection: { reason: string } }).rejection.reason).to.equal('bad-signature');
    expect(alertsOf(index, deviceId)).to.have.length(0);
  });

  it('refuses an alert with a field its signer did not sign, naming it, instead of indexing it stripped', function () {
    const extra = { ...alert(security), note: 'call +1-555-0100' };
    const verdict = accept(extra);
    expect(!verdict.ok && verdict.rejection.reason).to.equal('invalid-schema');
    expect(!verdict.ok && verdict.rejection.detail).to.contain('note');
    expect(alertsOf(index, deviceId)).to.have.length(0);
  });

  it('refuses an alert signed by an entity that is not an approved security entity', function () {
    const verdict = accept(alert(stranger));
    expect(!verdict.ok && verdict.rejection.reason).to.equal('not-security-entity');
    entity(security.address, 'security', 'revoked');
    expect(!accept(alert(security)).ok).to.equal(true);
    expect(notifications()).to.have.length(0);
  });

  it('refuses a bad schema, an alert on another twin’s topic and an unknown twin', function () {
    const invalid = accept({ ...alert(security), body: { ...body(), score: 7 } });
    expect(!invalid.ok && invalid.rejection.reason).to.equal('invalid-schema');
    expect(!invalid.ok && invalid.rejection.detail).to.include('score');
    const elsewhere = accept(alert(security), `twins/${deviceIdOf(8)}/alerts`);
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
    const verdict = accept(unknown, `twins/${deviceIdOf(9)}/alerts`);
    expect(!verdict.ok && verdict.rejection.reason).to.equal('unknown-twin');
    expect(accept('not json at all'.slice(0)).ok).to.equal(false);
  });
});
